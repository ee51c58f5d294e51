Boot profile: QEMU, L0 QEMU TCG, 980 MiB, 1 CPU

Xen command line:
  console=com1 com1=115200,8n1 dom0_mem=512M,max:512M dom0_max_vcpus=1 scrub-domheap
dom0 kernel command line:
  console=hvc0 earlyprintk=xen

GRUB menu entry (`blanket node install` writes it to /etc/blanket/grub-entry.cfg; /boot on the root file system):
menuentry 'Blanket node (Xen) on QEMU' --id blanket-node {
	insmod part_gpt
	insmod part_msdos
	insmod ext2
	insmod xfs
	insmod probe
	search --no-floppy --set=root --file /boot/blanket/xen.gz
	probe --set=rootuuid --fs-uuid $root
	multiboot2 /boot/blanket/xen.gz console=com1 com1=115200,8n1 dom0_mem=512M,max:512M dom0_max_vcpus=1 scrub-domheap
	module2 /vmlinuz root=UUID=$rootuuid ro console=hvc0 earlyprintk=xen
	module2 /initrd.img
}

Notes:
- Less than 1 GiB is left for guests once dom0 has its share.
