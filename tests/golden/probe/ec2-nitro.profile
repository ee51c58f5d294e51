Boot profile: Amazon EC2, L0 KVM, 7748 MiB, 2 CPUs

Xen command line:
  console=com1 com1=115200,8n1 dom0_mem=968M,max:968M dom0_max_vcpus=2 scrub-domheap
dom0 kernel command line:
  console=hvc0

GRUB menu entry (`blanket node install` writes it to /etc/blanket/grub-entry.cfg; /boot on the root file system):
menuentry 'Blanket node (Xen) on Amazon EC2' --id blanket-node {
	insmod part_gpt
	insmod part_msdos
	insmod ext2
	insmod xfs
	insmod probe
	search --no-floppy --set=root --file /boot/blanket/xen.gz
	probe --set=rootuuid --fs-uuid $root
	multiboot2 /boot/blanket/xen.gz console=com1 com1=115200,8n1 dom0_mem=968M,max:968M dom0_max_vcpus=2 scrub-domheap
	module2 /vmlinuz root=UUID=$rootuuid ro console=hvc0
	module2 /initrd.img
}

Notes:
- The disks are NVMe: the initramfs must hold the nvme module or dom0 cannot find its root (Debian's initramfs-tools includes it with MODULES=most, its default).
- The NIC is ENA: dom0 needs the ena module (in Debian's kernel) for the node's network.
