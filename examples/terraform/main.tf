# Render the templates once, outside Terraform:
#   crinit render examples/terraform/node.yaml --format tftpl -o examples/terraform/node.yaml.tftpl
#   crinit render examples/terraform/flatcar.yaml --format tftpl -o examples/terraform/flatcar.ign.tftpl
# Terraform then fills in the per-node variables. Every other ${ and %{ in the output is
# already escaped ($${, %%{), so scripts and configs arrive as crinit wrote them.

variable "workers" {
  type = map(object({ ip = string }))
  default = {
    "worker-1" = { ip = "10.0.0.11" }
    "worker-2" = { ip = "10.0.0.12" }
  }
}

locals {
  # cloud-init user-data for Ubuntu workers
  user_data = {
    for name, w in var.workers : name => templatefile("${path.module}/node.yaml.tftpl", {
      hostname = name
      node_ip  = w.ip
    })
  }
  # Ignition configs for Flatcar workers: the variables land in plain data: URLs, so the
  # values must stay simple (letters, digits and . _ : / @ + = , ~ -), as crinit --var requires.
  ignition = {
    for name, w in var.workers : name => templatefile("${path.module}/flatcar.ign.tftpl", {
      hostname = name
      node_ip  = w.ip
    })
  }
}

# For example, with the AWS provider (user_data is limited to 16,384 bytes; see --platform aws):
# resource "aws_instance" "worker" {
#   for_each  = var.workers
#   user_data = local.user_data[each.key]
#   ...
# }

# On Flatcar the Ignition config is the user data (not gzipped: Ignition reads it as it is):
# resource "aws_instance" "flatcar_worker" {
#   for_each  = var.workers
#   user_data = local.ignition[each.key]
#   ...
# }

output "user_data" {
  value = local.user_data
}

output "ignition" {
  value = local.ignition
}
