# package.cmake - the Debian package (CPack DEB) of what `cmake --install`
# puts in place, built from the build tree:
#
#   cpack -G DEB --config build/CPackConfig.cmake -B OUTDIR
#
# gives OUTDIR/baton_VERSION_ARCH.deb: /usr/sbin/{batond,batonctl,
# baton-keepalived,baton-bird}, the systemd units in /usr/lib/systemd/system,
# /etc/baton/baton.yaml.example and /etc/default/batond (conffiles), man
# pages and docs; never /etc/baton/baton.yaml, which the operator writes
# (the units wait for it). Its library dependencies come from dpkg-shlibdeps; the maintainer
# scripts (deploy/debian/) reload systemd, restart a running batond after
# an upgrade (it takes over the datapath: no flow lost) and, on removal,
# stop it and remove its datapath.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME baton)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Baton developers <baton@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "HA L4 load-balancer node (eBPF datapath, conntrack replication)")
set(CPACK_PACKAGE_DESCRIPTION
    "Baton balances TCP, UDP and ICMP flows to backends with an eBPF (TC and XDP) datapath whose conntrack table batond replicates to its peers, so that when keepalived moves the VIPs, or an ECMP router moves flows, every established connection carries on with the same backend.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Beside the libraries: ip and tc are what an operator inspects with.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "iproute2")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "keepalived")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bird2, bpftool")
# Install with DESTDIR and the package's prefix, so that the units and
# man pages name /usr and /etc lands in the package's /etc.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/deploy/debian/conffiles
    ${PROJECT_SOURCE_DIR}/deploy/debian/postinst
    ${PROJECT_SOURCE_DIR}/deploy/debian/prerm
    ${PROJECT_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
