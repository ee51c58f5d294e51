#!/bin/sh
# Make a Debian 12 cloud instance a blanket node on its first boot
# (docs/install.md). This is user-data as it stands: cloud-init runs a
# user-data script once, as root, late in the first boot. Set the three
# values below; or run it by hand with them in the environment:
#   PACKAGES=... SERVER=... TOKEN=... sh blanket-node.sh
#
# PACKAGES: where blanket's Debian packages are (`make deb`), with their
#   dependencies if the instance has no Debian mirror: a folder, or the URL
#   of a flat apt repository (the .debs and a Packages file beside them, as
#   `dpkg-scanpackages -m . >Packages` writes it), an S3 bucket say.
# SERVER: the enrolment server, `blanket ca serve-enrol` (HOST[:PORT]).
# TOKEN: `blanket ca token NODE` on the CA's machine; one per instance.
# INSTALL_ARGS: more options of `blanket node install` (--name, --xen-args,
#   --dom0-args, --no-reboot).
#
# What happens is on the serial console, line by line ("blanket-install:
# STEP: ..."): the instance reboots into Xen once, and stays on it only if
# the node comes up; otherwise it comes back on plain Debian and says why.
set -eu
PACKAGES=${PACKAGES:-https://example-bucket.s3.amazonaws.com/blanket}
SERVER=${SERVER:-admin.example.com:7401}
TOKEN=${TOKEN:-bl1-REPLACE-WITH-A-TOKEN}
INSTALL_ARGS=${INSTALL_ARGS:-}

say() {
	echo "blanket-node: $*"
	echo "blanket-node: $*" >/dev/kmsg 2>/dev/null || true
}
case $PACKAGES in
http://* | https://*) source=$PACKAGES ;;
/*) source=file:$PACKAGES ;;
*)
	say "PACKAGES must be an absolute folder or a http(s) URL, not $PACKAGES"
	exit 2
	;;
esac
# The blanket package first, for `blanket node install`, which then adds
# the same source again and installs the rest from it.
if ! command -v blanket >/dev/null; then
	say "installing the blanket package from $PACKAGES"
	# Only this source: an instance without the internet must not wait
	# on its Debian mirror. [trusted=yes]: see docs/install.md.
	echo "deb [trusted=yes] $source ./" >/etc/apt/sources.list.d/blanket.list
	apt-get update -q -o Dir::Etc::SourceList=sources.list.d/blanket.list \
		-o Dir::Etc::SourceParts=- >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends blanket >/dev/null
fi
# shellcheck disable=SC2086 # INSTALL_ARGS is words
exec blanket node install --packages "$PACKAGES" --server "$SERVER" \
	--token "$TOKEN" $INSTALL_ARGS
