#!/usr/bin/env bash
# test_package.sh - what an operator installs, checked from the build tree
# (nothing is installed on this machine):
#
#  1. `cmake --install` with DESTDIR and prefix /usr: the binaries in
#     /usr/sbin, the units naming /usr/sbin (batond with --keep-datapath
#     by default), /etc/baton/baton.yaml.example and /etc/default/batond
#     but never /etc/baton/baton.yaml (the units wait for it); a second
#     install keeps an edited /etc/default/batond; BATON_INSTALL_ETC=OFF
#     leaves /etc alone.
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

nt_require_cmd cmake cpack dpkg-deb dpkg-shlibdeps groff gzip
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
nt_assert_true "/etc/baton/baton.yaml.example is the reference" \
	cmp -s "$D/etc/baton/baton.yaml.example" "$NT_SRC/deploy/baton.yaml"
nt_assert_false "no /etc/baton/baton.yaml (the units wait for one)" \
	test -e "$D/etc/baton/baton.yaml"
nt_assert_true "/etc/default/batond" test -f "$D/etc/default/batond"
echo "BATOND_OPTS=" >>"$D/etc/default/batond"
DESTDIR=$D cmake --install "$NT_BUILD" --prefix /usr >"$TMP/install2.log" 2>&1
nt_assert_true "a second install keeps an edited /etc/default/batond" \
	grep -q "^BATOND_OPTS=$" "$D/etc/default/batond"
nt_assert_true "and says so" grep -q "Kept: .*/etc/default/batond" \
	"$TMP/install2.log"
nt_assert_false "nothing rendered into the build tree" test -e \
	"$NT_BUILD/deploy/systemd-install" -o -e "$NT_BUILD/deploy/man-install"
# BATON_INSTALL_ETC=OFF, in a build tree of its own (configuring the
# main one would race the other tests using it): only the deploy part
# is installed there, which is what the option is about.
mkdir -p "$TMP/noetc"
if cmake -S "$NT_SRC" -B "$TMP/noetc/build" -DBATON_INSTALL_ETC=OFF \
	>"$TMP/noetc.log" 2>&1; then
	DESTDIR=$TMP/noetc/root cmake --install "$TMP/noetc/build/deploy" \
		--prefix /usr >>"$TMP/noetc.log" 2>&1
	nt_assert_false "BATON_INSTALL_ETC=OFF: nothing in /etc" \
		test -e "$TMP/noetc/root/etc"
	nt_assert_true "BATON_INSTALL_ETC=OFF: the units still" \
		test -f "$TMP/noetc/root/usr/lib/systemd/system/batond.service"
else
	nt_fail "configure with BATON_INSTALL_ETC=OFF" ||
		tail -n 10 "$TMP/noetc.log"
fi

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
opts=$("$NT_BUILD/node/batond" --help | grep -o -- '--[a-z-]*' | sort -u)
nt_assert_ge "$(echo "$opts" | grep -c .)" 4 "options read from batond --help"
for o in $opts; do
	nt_assert_true "batond(8) documents $o" grep -q -- "$o" <<<"$B8"
done
C8=$(render "$MAN/man8/batonctl.8.gz" | tr -s ' ')
cmds=$("$NT_BUILD/node/batonctl" --help 2>&1 |
	sed -n 's/^  \([a-z]\{2,\} [a-z]\{3,\}\).*/\1/p; s/^  \(stats\|status\)$/\1/p' |
	sort -u)
nt_assert_ge "$(echo "$cmds" | grep -c .)" 16 "commands read from batonctl --help"
while read -r cmd; do
	nt_assert_true "batonctl(8) documents '$cmd'" grep -q -- "$cmd" <<<"$C8"
done <<<"$cmds"
for o in --socket --json; do
	nt_assert_true "batonctl(8) documents $o" grep -q -- "$o" <<<"$C8"
done
Y5=$(render "$MAN/man5/baton.yaml.5.gz")
for s in node interfaces conntrack lb sync ha ecmp services; do
	nt_assert_true "deploy/baton.yaml has $s" grep -q "^#\{0,1\} \{0,1\}$s:" \
		"$NT_SRC/deploy/baton.yaml"
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
	/etc/baton/baton.yaml.example /etc/default/batond \
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
	"/etc/baton/baton.yaml.example /etc/default/batond " "conffiles"
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
