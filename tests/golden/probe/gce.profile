Boot profile: Google Compute Engine, L0 KVM, 16009 MiB, 4 CPUs

Xen command line:
  console=com1 com1=115200,8n1 dom0_mem=2001M,max:2001M dom0_max_vcpus=4 scrub-domheap
dom0 kernel command line:
  console=hvc0

GRUB menu entry (`blanket node install` writes it to /etc/blanket/grub-entry.cfg; /boot on the root file system):
menuentry 'Blanket node (Xen) on Google Compute Engine' --id blanket-node {
	insmod part_gpt
	insmod part_msdos
	insmod ext2
	insmod xfs
	insmod probe
	search --no-floppy --set=root --file /boot/blanket/xen.gz
	probe --set=rootuuid --fs-uuid $root
	multiboot2 /boot/blanket/xen.gz console=com1 com1=115200,8n1 dom0_mem=2001M,max:2001M dom0_max_vcpus=4 scrub-domheap
	module2 /vmlinuz root=UUID=$rootuuid ro console=hvc0
	module2 /initrd.img
}

Notes:
- The NIC is gVNIC: dom0 needs the gve module (in Debian's kernel) for the node's network.
