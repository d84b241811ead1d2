#!/bin/sh
# mmdebstrap customize hook for the Ignition stand-in image: $1 is the new root filesystem.
# A Debian root with containerd preinstalled stands in for Fedora CoreOS and Flatcar, where the
# runtime is part of the image. Ignition's files stage is applied to a copy of this root per test
# (test/e2e/vm.ts); the reporter unit baked in here reads the machine's state after first boot.
set -eu
root=$1
here=$(dirname "$0")

cp -a "$here/files/." "$root/"
chmod 0755 "$root/usr/local/lib/crinit-e2e/report-ignition"
echo crinit-e2e > "$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 crinit-e2e\n' > "$root/etc/hosts"
printf '/dev/vda / ext4 defaults 0 1\n' > "$root/etc/fstab"
chroot "$root" systemctl enable crinit-report-ignition.service
# containerd stays enabled as the package left it, as on Flatcar (whose image starts it); the
# Fedora CoreOS case removes that link first, so that only Ignition's preset can enable it.
chroot "$root" systemctl enable systemd-networkd.service
