Boot profile: Microsoft Azure, L0 Hyper-V, 15981 MiB, 4 CPUs

Xen command line:
  console=com1 com1=115200,8n1 dom0_mem=1997M,max:1997M dom0_max_vcpus=4 scrub-domheap
dom0 kernel command line:
  console=hvc0

GRUB menu entry (`blanket node install` writes it to /etc/blanket/grub-entry.cfg; /boot on the root file system):
menuentry 'Blanket node (Xen) on Microsoft Azure' --id blanket-node {
	insmod part_gpt
	insmod part_msdos
	insmod ext2
	insmod xfs
	insmod probe
	search --no-floppy --set=root --file /boot/blanket/xen.gz
	probe --set=rootuuid --fs-uuid $root
	multiboot2 /boot/blanket/xen.gz console=com1 com1=115200,8n1 dom0_mem=1997M,max:1997M dom0_max_vcpus=4 scrub-domheap
	module2 /vmlinuz root=UUID=$rootuuid ro console=hvc0
	module2 /initrd.img
}

Notes:
- Hyper-V/Azure: dom0 cannot use VMBus devices (storvsc disks, netvsc NICs): Linux finds VMBus through Hyper-V's CPUID leaves, which Xen hides from dom0. dom0 has only PCI devices (Gen1 VMs' emulated IDE disk, accelerated networking's VF). Untested on Azure.
