#!/bin/sh
# Runs a command inside the network + mount namespace that `make test-faults` creates with
# `unshare --net --mount --fork`: only loopback exists, and /etc/resolv.conf and /etc/hosts
# are bind-mounted copies that point at the fault helpers. The copies live on a private tmpfs
# beside the test binary, not over /tmp, which may hold the checkout itself.
# Everything here vanishes with the namespace: no mount, rule or route outlives the run.
set -eu
ip link set lo up
mount --make-rprivate /
etc=$(dirname "$1")/faults-etc
mkdir -p "$etc"
mount -t tmpfs faults-etc "$etc"
# c-ares asks 127.0.0.1:53, where each DNS test starts its own silent or NXDOMAIN server.
printf 'nameserver 127.0.0.1\n' >"$etc/resolv.conf"
# multi.probe-test has two addresses and SYNs to both are dropped below; db.test and
# other.test are loopback names for MySQL's verify-identity (tests/faults/test_mysqltls.c);
# v6first.probe-test is ::1, where nothing listens, then 127.0.0.1, as Docker writes localhost.
printf '127.0.0.1 localhost db.test other.test\n127.0.0.2 multi.probe-test\n127.0.0.3 multi.probe-test\n' >"$etc/hosts"
printf '::1 v6first.probe-test\n127.0.0.1 v6first.probe-test\n' >>"$etc/hosts"
printf 'hosts: files dns\n' >"$etc/nsswitch.conf"
mount --bind "$etc/resolv.conf" /etc/resolv.conf
mount --bind "$etc/hosts" /etc/hosts
mount --bind "$etc/nsswitch.conf" /etc/nsswitch.conf
# SYNs to these loopback addresses vanish: a connect there hangs until the deadline.
for a in 127.0.0.2 127.0.0.3 127.0.0.4; do
    iptables -A INPUT -d "$a" -p tcp --syn -j DROP
done
# Unreachable addresses, answered at once by the routing table (no other interface exists).
ip route add unreachable 10.255.255.10/32
export FAULTS_NETNS=1
exec "$@"
