#!/usr/bin/env bash
# Captures of real traffic between a sync server and a Samba AD DC, behind real Linux firewalls:
# what fixtures/samba-lab/ holds (see its README). Needs root (network namespaces), and Debian's
#   samba krb5-user ldap-utils smbclient dnsutils nftables tcpdump libsasl2-modules-gssapi-mit
# Usage: sudo scripts/samba-lab.sh OUT_DIR        (then: scripts/samba-lab.sh --clean)
#
# Hosts, each a network namespace: the DC `dc` (10.77.0.11, 2001:db8:77::11), a router `rt`, and
# the sync server `sync` (10.79.0.20, 2001:db8:79::20). tcpdump runs on the sync server's and the
# DC's interface at once; nftables rules on the DC, then on the router, drop and reject traffic.
set -euo pipefail

PASS='Passw0rd!2026'
LAB=/tmp/flowaudit-samba-lab

clean() {
  pkill -f "samba -s $LAB/etc/smb.conf" 2>/dev/null || true
  pkill -f 'tcpdump -i (vs2|vdc)' 2>/dev/null || true
  for ns in sync rt dc; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf /etc/netns/sync "$LAB"
}

if [ "${1:-}" = --clean ]; then clean; exit 0; fi
OUT=$(realpath -m "${1:?usage: samba-lab.sh OUT_DIR | --clean}")
mkdir -p "$OUT"
clean
mkdir -p "$LAB"

# --- network: sync <-> rt <-> dc ------------------------------------------------------------------
for ns in sync rt dc; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip link add vdc type veth peer name vrd
ip link set vdc netns dc
ip link set vrd netns rt
ip link add vs2 type veth peer name vr2
ip link set vs2 netns sync
ip link set vr2 netns rt
ip -n dc addr add 10.77.0.11/24 dev vdc
ip -n dc addr add 2001:db8:77::11/64 dev vdc nodad
ip -n rt addr add 10.77.0.1/24 dev vrd
ip -n rt addr add 2001:db8:77::1/64 dev vrd nodad
ip -n rt addr add 10.79.0.1/24 dev vr2
ip -n rt addr add 2001:db8:79::1/64 dev vr2 nodad
ip -n sync addr add 10.79.0.20/24 dev vs2
ip -n sync addr add 2001:db8:79::20/64 dev vs2 nodad
for l in "dc vdc" "rt vrd" "rt vr2" "sync vs2"; do set -- $l; ip -n "$1" link set "$2" up; done
ip -n dc route add default via 10.77.0.1
ip -n dc -6 route add default via 2001:db8:77::1
ip -n sync route add default via 10.79.0.1
ip -n sync -6 route add default via 2001:db8:79::1
ip netns exec rt sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
# The kernel logs netfilter LOG lines of network namespaces only when asked to.
sysctl -qw net.netfilter.nf_log_all_netns=1

# --- the DC ---------------------------------------------------------------------------------------
ip netns exec dc samba-tool domain provision --targetdir="$LAB" --realm=CONTOSO.TEST --domain=CONTOSO \
  --server-role=dc --dns-backend=SAMBA_INTERNAL --adminpass="$PASS" --host-name=dc01 --host-ip=10.77.0.11 \
  --option="interfaces=10.77.0.11 2001:db8:77::11 lo" --option="bind interfaces only=yes" >/dev/null
ip netns exec dc samba -s "$LAB/etc/smb.conf" -F >/dev/null 2>&1 &
for _ in $(seq 30); do ip netns exec dc ss -ltn | grep -q ':389 ' && break; sleep 1; done
sleep 3

# --- the sync server ------------------------------------------------------------------------------
mkdir -p /etc/netns/sync
printf 'nameserver 10.77.0.11\nsearch contoso.test\n' > /etc/netns/sync/resolv.conf
printf '[libdefaults]\n  default_realm = CONTOSO.TEST\n  dns_lookup_kdc = true\n  rdns = false\n' > "$LAB/krb5.conf"

# What a sync cycle does against a DC, with real client tools: the DC locator (DNS, CLDAP),
# Kerberos, LDAP (a refused simple bind among them), LDAPS, the Global Catalog, SMB, and RPC
# through the endpoint mapper to a dynamic port.
workload() {
  local T=${T:-5}
  export KRB5_CONFIG=$LAB/krb5.conf KRB5CCNAME=$LAB/cc LDAPTLS_REQCERT=never
  rm -f "$LAB/cc"
  timeout "$T" dig +short SRV _ldap._tcp.dc._msdcs.contoso.test || true
  timeout "$T" net ads lookup -S 10.77.0.11 --realm=CONTOSO.TEST >/dev/null 2>&1 || true
  echo "$PASS" | timeout "$T" kinit administrator@CONTOSO.TEST >/dev/null 2>&1 || true
  timeout "$T" ldapsearch -N -Q -Y GSSAPI -H ldap://dc01.contoso.test -b dc=contoso,dc=test '(sAMAccountName=administrator)' dn >/dev/null 2>&1 || true
  timeout "$T" ldapsearch -x -H ldap://10.77.0.11 -D administrator@contoso.test -w "$PASS" -b dc=contoso,dc=test -s base dn >/dev/null 2>&1 || true
  timeout "$T" ldapsearch -x -H ldaps://10.77.0.11 -D administrator@contoso.test -w "$PASS" -b dc=contoso,dc=test -s base dn >/dev/null 2>&1 || true
  timeout "$T" ldapsearch -N -Q -Y GSSAPI -H ldap://dc01.contoso.test:3268 -b '' -s base dn >/dev/null 2>&1 || true
  timeout "$T" smbclient --use-kerberos=required //10.77.0.11/sysvol -c ls >/dev/null 2>&1 || true
  timeout 10 rpcclient --use-kerberos=required 'ncacn_ip_tcp:dc01.contoso.test[seal]' -c lsaquery >/dev/null 2>&1 || true
}
export -f workload
export LAB PASS

# capture NAME [dc]: the workload under tcpdump on the sync server (and on the DC with `dc`).
capture() {
  ip netns exec sync tcpdump -i vs2 -s 0 -w "$OUT/$1.sync-side.pcap" -U >/dev/null 2>&1 &
  if [ "${2:-}" = dc ]; then ip netns exec dc tcpdump -i vdc -s 0 -w "$OUT/$1.dc-side.pcap" -U >/dev/null 2>&1 & fi
  sleep 1
  ip netns exec sync bash -c workload
  sleep 1
  pkill -INT -f 'tcpdump -i (vs2|vdc)'
  sleep 1
}

# sync_capture NAME COMMANDS: COMMANDS (Kerberos set up) on the sync server under tcpdump there,
# written to NAME.pcap; then the DC's firewall rules are flushed.
sync_capture() {
  ip netns exec sync tcpdump -i vs2 -s 0 -w "$OUT/$1.pcap" -U >/dev/null 2>&1 &
  sleep 1
  ip netns exec sync bash -c "export KRB5_CONFIG=\$LAB/krb5.conf KRB5CCNAME=\$LAB/cc; rm -f \$LAB/cc; $2" || true
  sleep 1
  pkill -INT -f 'tcpdump -i vs2'
  sleep 1
  ip netns exec dc nft flush ruleset
}

# 1. A healthy sync over IPv4 (Samba registered dc01's IPv6 address too: its AAAA record goes for
#    this one), then over both families (IPv6 where a name is used, IPv4 by address).
dns() { ip netns exec dc samba-tool dns "$1" 10.77.0.11 contoso.test dc01 AAAA 2001:db8:77::11 -U administrator --password="$PASS" -s "$LAB/etc/smb.conf" >/dev/null 2>&1 || true; }
dns delete
capture healthy-sync
dns add
capture dual-stack
mv "$OUT/healthy-sync.sync-side.pcap" "$OUT/healthy-sync.pcap"
mv "$OUT/dual-stack.sync-side.pcap" "$OUT/dual-stack.pcap"

# 2. The DC's own firewall: LDAP and CLDAP dropped, LDAPS rejected with a reset, the dynamic RPC
#    range rejected with ICMP administratively prohibited; captured on both ends at once.
ip netns exec dc nft -f - <<'EOF'
table inet dcfw {
  chain input {
    type filter hook input priority 0; policy accept;
    iif lo accept
    tcp dport 389 log prefix "DROP-LDAP: " drop
    udp dport 389 log prefix "DROP-CLDAP: " drop
    tcp dport 636 log prefix "REJECT-LDAPS: " reject with tcp reset
    tcp dport 49152-65535 log prefix "REJECT-RPC: " reject with icmpx admin-prohibited
  }
}
EOF
dmesg -C 2>/dev/null || true
T=12 capture dc-firewall dc
dmesg -T | grep -E 'DROP-|REJECT-' > "$OUT/dc-firewall.dmesg-T.log" || true
ip netns exec dc nft flush ruleset

# 3. A router between them: LDAP dropped, LDAPS rejected with a reset on its behalf; captured on
#    both ends at once (what never arrived is in the sync server's capture only).
ip netns exec rt nft -f - <<'EOF'
table inet rtfw {
  chain forward {
    type filter hook forward priority 0; policy accept;
    tcp dport 389 drop
    tcp dport 636 reject with tcp reset
  }
}
EOF
T=8 capture router-firewall dc
ip netns exec rt nft flush ruleset

# 4. Kerberos over UDP dropped (TCP answers), CLDAP refused with ICMP port unreachable, a wrong
#    password and an unknown account.
ip netns exec dc nft -f - <<'EOF'
table inet dcfw2 {
  chain input {
    type filter hook input priority 0; policy accept;
    udp dport 389 reject with icmpx port-unreachable
    udp dport 88 drop
  }
}
EOF
sync_capture kerberos-errors '
  timeout 6 net ads lookup -S 10.77.0.11 --realm=CONTOSO.TEST >/dev/null 2>&1
  echo wrong | timeout 20 kinit administrator@CONTOSO.TEST >/dev/null 2>&1
  echo x | timeout 20 kinit nobody@CONTOSO.TEST >/dev/null 2>&1'

# 5. TCP 88 dropped, UDP open: the KDC answers the administrator's logon over UDP with
#    KRB_ERR_RESPONSE_TOO_BIG (a ticket that does not fit a datagram), and TCP never answers.
ip netns exec dc nft -f - <<'EOF'
table inet dcfw3 {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 88 drop
  }
}
EOF
sync_capture kerberos-tcp-blocked 'echo "$PASS" | timeout 30 kinit administrator@CONTOSO.TEST >/dev/null 2>&1'

echo "captures in $OUT:"
ls -la "$OUT"
