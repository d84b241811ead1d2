#!/bin/sh
# mmdebstrap customize hook for crinit's e2e test image: $1 is the new root filesystem.
# Everything the tests read from the machine comes from units baked in here, so the user-data
# under test stays exactly what crinit rendered.
set -eu
root=$1
here=$(dirname "$0")

cp -a "$here/files/." "$root/"
chmod 0755 "$root/usr/local/lib/crinit-e2e/report" "$root/usr/local/lib/crinit-e2e/holdlock"

# cloud-init's locale module fails on a minimal root unless a UTF-8 locale exists.
echo 'en_US.UTF-8 UTF-8' > "$root/etc/locale.gen"
chroot "$root" locale-gen
echo 'LANG=en_US.UTF-8' > "$root/etc/default/locale"

echo crinit-e2e > "$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 crinit-e2e\n' > "$root/etc/hosts"
printf '/dev/vda / ext4 defaults 0 1\n' > "$root/etc/fstab"
# An empty machine-id makes the first boot a first boot.
: > "$root/etc/machine-id"

chroot "$root" systemctl enable crinit-report.service crinit-holdlock.service

# The network: as on Debian's cloud images, cloud-init renders netplan (netplan.io is in the
# package set, ifupdown is not), which hands it to systemd-networkd.
