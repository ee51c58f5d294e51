Boot profile: Amazon EC2, L0 Xen, 3935 MiB, 2 CPUs

Xen command line:
  console=com1 com1=115200,8n1 dom0_mem=512M,max:512M dom0_max_vcpus=2 scrub-domheap
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
	multiboot2 /boot/blanket/xen.gz console=com1 com1=115200,8n1 dom0_mem=512M,max:512M dom0_max_vcpus=2 scrub-domheap
	module2 /vmlinuz root=UUID=$rootuuid ro console=hvc0
	module2 /initrd.img
}

Notes:
- The L0 is Xen (EC2's Xen-based instances): the blanket hypervisor finds it by itself (CONFIG_XEN_GUEST), no option needed. dom0 reaches the L0's PV disks and NICs (behind the Xen platform device, 5853:0001) only through the blanket drivers' module blanket-l0 (drivers/l0, as l0xvdX and l0ethN), which no package installs yet; without it dom0 has only the emulated or SR-IOV devices the instance also offers. Untested on EC2.
