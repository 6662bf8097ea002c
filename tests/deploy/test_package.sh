#!/usr/bin/env bash
# test_package.sh - what an operator installs, checked from the build tree
# (nothing is installed on this machine):
#
#  1. `cmake --install` with DESTDIR and prefix /usr: the binaries in
#     /usr/sbin, the units naming /usr/sbin (batond with --keep-datapath
#     by default), /etc/baton/baton.yaml and /etc/default/batond; a second
#     install keeps an edited /etc/baton/baton.yaml.
#  2. The man pages: groff finds nothing to warn about in any of them;
#     batond(8) documents every option of `batond --help`, batonctl(8)
#     every command of `batonctl --help`, baton.yaml(5) every top-level
#     section and carries deploy/baton.yaml line for line.
#  3. The Debian package (cpack -G DEB): its files, its control fields
#     (library dependencies from dpkg-shlibdeps), the conffiles, maintainer
#     scripts that parse; the batond inside runs, and systemd-analyze
#     verifies its unit.
#
# Exit: 0 pass, 1 fail, 77 skip.

. "$(dirname "$0")/../netns/lib.sh"

nt_require_cmd cmake cpack dpkg-deb groff gzip
for f in batond batonctl; do nt_require_file "$NT_BUILD/node/$f"; done
TMP=$(mktemp -d /tmp/nt-package.XXXXXX)
nt_cleanup rm -rf "$TMP"

# ---- 1. cmake --install --------------------------------------------------------

nt_step "1. cmake --install (DESTDIR, prefix /usr)"
D=$TMP/root
DESTDIR=$D cmake --install "$NT_BUILD" --prefix /usr >"$TMP/install.log" 2>&1
nt_assert_eq $? 0 "cmake --install" || tail -n 20 "$TMP/install.log"
for f in batond batonctl baton-keepalived baton-bird; do
	nt_assert_true "/usr/sbin/$f installed, executable" test -x "$D/usr/sbin/$f"
done
UNIT=$D/usr/lib/systemd/system/batond.service
nt_assert_true "batond.service in /usr/lib/systemd/system" test -f "$UNIT"
nt_assert_eq "$(grep '^ExecStart=' "$UNIT")" \
	'ExecStart=/usr/sbin/batond -c /etc/baton/baton.yaml $BATOND_OPTS' \
	"the unit runs /usr/sbin/batond"
nt_assert_eq "$(grep '^Environment=' "$UNIT")" \
	"Environment=BATOND_OPTS=--keep-datapath" \
	"a stop keeps the datapath by default"
nt_assert_false "no /usr/local/ path left in the units" grep -rq /usr/local/ \
	"$D/usr/lib/systemd/system"
nt_assert_true "keepalived drop-in runs /usr/sbin/baton-keepalived" grep -q \
	"^ExecStartPre=/usr/sbin/baton-keepalived " \
	"$D/usr/lib/systemd/system/keepalived.service.d/baton.conf"
nt_assert_true "/etc/baton/baton.yaml is the reference" \
	cmp -s "$D/etc/baton/baton.yaml" "$NT_SRC/deploy/baton.yaml"
nt_assert_true "/etc/default/batond" test -f "$D/etc/default/batond"
echo "# edited" >>"$D/etc/baton/baton.yaml"
DESTDIR=$D cmake --install "$NT_BUILD" --prefix /usr >"$TMP/install2.log" 2>&1
nt_assert_true "a second install keeps an edited baton.yaml" \
	grep -q "^# edited$" "$D/etc/baton/baton.yaml"
nt_assert_true "and says so" grep -q "Kept: .*/etc/baton/baton.yaml" \
	"$TMP/install2.log"

# ---- 2. man pages --------------------------------------------------------------

nt_step "2. man pages"
MAN=$D/usr/share/man
# render PAGE: the page as text (groff's ascii output, no formatting).
render() {
	zcat "$1" | groff -man -Tascii -P-cbou 2>/dev/null
}
for p in man8/batond.8 man8/batonctl.8 man8/baton-keepalived.8 \
	man8/baton-bird.8 man5/baton.yaml.5; do
	f=$MAN/$p.gz
	if ! nt_assert_true "$p.gz installed" test -s "$f"; then
		continue
	fi
	w=$(zcat "$f" | groff -ww -man -z 2>&1)
	nt_assert_eq "$w" "" "$p: no groff warnings"
	nt_assert_true "$p: has NAME and SEE ALSO" \
		test "$(render "$f" | grep -c '^NAME$\|^SEE ALSO$')" = 2
	nt_assert_false "$p: no @PLACEHOLDER@ left" zgrep -q "@[A-Z]*@" "$f"
done
B8=$(render "$MAN/man8/batond.8.gz")
for o in $("$NT_BUILD/node/batond" --help | grep -o -- '--[a-z-]*' | sort -u); do
	nt_assert_true "batond(8) documents $o" grep -q -- "$o" <<<"$B8"
done
C8=$(render "$MAN/man8/batonctl.8.gz" | tr -s ' ')
while read -r cmd; do
	nt_assert_true "batonctl(8) documents '$cmd'" grep -q -- "$cmd" <<<"$C8"
done < <("$NT_BUILD/node/batonctl" --help 2>&1 |
	sed -n 's/^  \([a-z]\{2,\} [a-z]\{3,\}\).*/\1/p; s/^  \(stats\|status\)$/\1/p' |
	sort -u)
Y5=$(render "$MAN/man5/baton.yaml.5.gz")
for s in $(sed -n 's/^#\{0,1\} \{0,1\}\([a-z]*\):.*/\1/p' "$NT_SRC/deploy/baton.yaml" |
	grep -v '^$' | sort -u); do
	case $s in node | interfaces | conntrack | lb | sync | ha | ecmp | services) ;;
	*) continue ;;
	esac
	nt_assert_true "baton.yaml(5) describes $s" grep -q "^       $s" <<<"$Y5"
done
# The reference section, unescaped, is deploy/baton.yaml.
zcat "$MAN/man5/baton.yaml.5.gz" |
	awk '/^\.SH REFERENCE/ { r = 1 } r && /^\.EE/ { exit }
		r && x { print } r && /^\.EX/ { x = 1 }' |
	sed 's/^\\&//; s/\\e/\\/g' >"$TMP/ref.yaml"
nt_assert_true "baton.yaml(5) carries deploy/baton.yaml line for line" \
	cmp -s "$TMP/ref.yaml" "$NT_SRC/deploy/baton.yaml"

# ---- 3. the Debian package ------------------------------------------------------

nt_step "3. the Debian package"
cpack -G DEB --config "$NT_BUILD/CPackConfig.cmake" -B "$TMP/pkg" \
	>"$TMP/cpack.log" 2>&1
nt_assert_eq $? 0 "cpack -G DEB" || tail -n 20 "$TMP/cpack.log"
DEB=$(ls "$TMP"/pkg/baton_*.deb 2>/dev/null | head -n 1)
nt_assert_true "a .deb was written" test -s "$DEB" || nt_fatal "no package"
nt_log "$(basename "$DEB"): $(stat -c %s "$DEB") bytes"
dpkg-deb -c "$DEB" | awk '{ print $NF }' | sed 's|^\./|/|' >"$TMP/files"
for f in /usr/sbin/batond /usr/sbin/batonctl /usr/sbin/baton-keepalived \
	/usr/sbin/baton-bird /usr/lib/systemd/system/batond.service \
	/usr/lib/systemd/system/keepalived.service.d/baton.conf \
	/etc/baton/baton.yaml /etc/default/batond \
	/usr/share/man/man8/batond.8.gz /usr/share/man/man8/batonctl.8.gz \
	/usr/share/man/man5/baton.yaml.5.gz /usr/share/doc/baton/baton.yaml; do
	nt_assert_true "package holds $f" grep -qx "$f" "$TMP/files"
done
nt_assert_false "nothing under /usr/local or the build tree" \
	grep -q "^/usr/local\|$NT_BUILD\|/tmp/" "$TMP/files"
DEPS=$(dpkg-deb -f "$DEB" Depends)
nt_log "Depends: $DEPS"
for l in libbpf1 libuv1 libnng1 libyaml-0-2 libjansson4 libc6; do
	nt_assert_true "depends on $l" grep -q "\\b$l\\b" <<<"$DEPS"
done
nt_assert_eq "$(dpkg-deb -f "$DEB" Package) $(dpkg-deb -f "$DEB" Architecture)" \
	"baton $(dpkg --print-architecture)" "package name and architecture"
mkdir -p "$TMP/ctrl" "$TMP/x"
dpkg-deb -e "$DEB" "$TMP/ctrl"
nt_assert_eq "$(sort "$TMP/ctrl/conffiles" | tr '\n' ' ')" \
	"/etc/baton/baton.yaml /etc/default/batond " "conffiles"
for s in postinst prerm postrm; do
	nt_assert_true "$s: executable, parses" \
		sh -c "test -x '$TMP/ctrl/$s' && sh -n '$TMP/ctrl/$s'"
done
dpkg-deb -x "$DEB" "$TMP/x"
nt_assert_true "the packaged batond runs (--help)" \
	sh -c "'$TMP/x/usr/sbin/batond' --help >/dev/null" 
nt_assert_true "the packaged batond is the built one" \
	cmp -s "$TMP/x/usr/sbin/batond" "$NT_BUILD/node/batond"
if command -v systemd-analyze >/dev/null; then
	# Verified where the package would put it: the paths point into the
	# extracted tree, the rest of the unit as shipped.
	sed "s|/usr/sbin/|$TMP/x/usr/sbin/|g" \
		"$TMP/x/usr/lib/systemd/system/batond.service" \
		>"$TMP/batond.service"
	# MANPATH: its Documentation= pages, found in the package.
	out=$(MANPATH=$TMP/x/usr/share/man systemd-analyze verify \
		"$TMP/batond.service" 2>&1)
	nt_assert_eq "$out" "" "systemd-analyze verify batond.service"
fi

nt_finish
