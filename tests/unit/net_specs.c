/* Networks' pure parts: -p specs in docker's words, subnets, --add-host,
 * and the /etc/hosts and /etc/resolv.conf contents (docs/NETWORK.md). */
#include <stdlib.h>

#include "check.h"
#include "net/etc_files.h"
#include "net/network.h"
#include "net/ports.h"
#include "util/cleanup.h"

static void port_ok(const char *spec, const char *ip, int host, int container, const char *proto) {
  err_t e = ERR_INIT;
  struct net_port p;
  int n = 0;
  CHECK(net_port_parse(spec, &p, &n, &e) == 0);
  CHECK(n == 1);
  CHECK_STR(p.host_ip, ip);
  CHECK(p.host_port == host);
  CHECK(p.container_port == container);
  CHECK_STR(p.proto, proto);
}

static void port_bad(const char *spec, const char *msg) {
  err_t e = ERR_INIT;
  struct net_port p;
  int n;
  CHECK(net_port_parse(spec, &p, &n, &e) < 0);
  CHECK_STR(e.msg, msg);
}

int main(void) {
  port_ok("80", "", 0, 80, "tcp");
  port_ok("8080:80", "", 8080, 80, "tcp");
  port_ok("127.0.0.1:8080:80/udp", "127.0.0.1", 8080, 80, "udp");
  port_ok("127.0.0.1::80", "127.0.0.1", 0, 80, "tcp");
  port_ok("0.0.0.0:53:53/udp", "", 53, 53, "udp");
  port_bad("80x", "invalid containerPort: 80x");
  port_bad("99999:80", "invalid hostPort: 99999");
  port_bad("8080:0", "invalid containerPort: 0");
  port_bad("1.2.3:8080:80", "invalid IP address: 1.2.3 (an IPv4 address is expected)");
  port_bad("80/sctp", "invalid proto: sctp");
  port_bad("8080-8081:80-82", "invalid ranges specified for container and host Ports: 80-82 and "
                              "8080-8081");
  port_bad("80-", "invalid containerPort: 80-");
  port_bad("82-80", "invalid containerPort: 82-80");
  port_bad("8000:80-81", "invalid ranges specified for container and host Ports: 80-81 and 8000");
  {
    err_t e = ERR_INIT;
    struct net_port p;
    int n = 0;
    CHECK(net_port_parse("127.0.0.1:8000-8002:80-82/udp", &p, &n, &e) == 0);
    CHECK(n == 3 && p.host_port == 8000 && p.container_port == 80);
    CHECK(net_port_parse("80-81", &p, &n, &e) == 0);
    CHECK(n == 2 && p.host_port == 0 && p.container_port == 80);
  }

  err_t e = ERR_INIT;
  uint32_t a;
  int len;
  CHECK(net_cidr_parse("10.1.2.0/24", &a, &len, &e) == 0 && a == 0x0a010200 && len == 24);
  CHECK(net_cidr_parse("10.1.2.1/24", &a, &len, &e) < 0); /* host bits */
  CHECK(net_cidr_parse("10.1.2.0", &a, &len, &e) < 0);
  CHECK(net_cidr_parse("10.1.2.0/33", &a, &len, &e) < 0);

  char buf[128], *name, *ip;
  CHECK(net_add_host_parse("db:10.0.0.1", buf, sizeof buf, &name, &ip, &e) == 0);
  CHECK_STR(name, "db");
  CHECK_STR(ip, "10.0.0.1");
  CHECK(net_add_host_parse("v6:fd00::1", buf, sizeof buf, &name, &ip, &e) == 0);
  CHECK_STR(ip, "fd00::1");
  CHECK(net_add_host_parse("v6=[::1]", buf, sizeof buf, &name, &ip, &e) == 0);
  CHECK_STR(ip, "::1");
  CHECK(net_add_host_parse("nocolon", buf, sizeof buf, &name, &ip, &e) < 0);
  CHECK(net_add_host_parse("a b:1.2.3.4", buf, sizeof buf, &name, &ip, &e) < 0);
  CHECK(net_add_host_parse("x:999.1.1.1", buf, sizeof buf, &name, &ip, &e) < 0);

  char *add[] = {"db:10.0.0.1", NULL};
  _cleanup_free_ char *hosts = net_hosts_text(add, "10.77.0.2", "abc web", "10.77.0.3\tpeer\n");
  CHECK_STR(hosts, "127.0.0.1\tlocalhost\n"
                   "::1\tlocalhost ip6-localhost ip6-loopback\n"
                   "fe00::0\tip6-localnet\n"
                   "ff00::0\tip6-mcastprefix\n"
                   "ff02::1\tip6-allnodes\n"
                   "ff02::2\tip6-allrouters\n"
                   "10.0.0.1\tdb\n"
                   "10.77.0.2\tabc web\n"
                   "10.77.0.3\tpeer\n");

  const char *host = "search example.org\nnameserver 127.0.0.53\nnameserver 10.0.0.53\noptions ndots:2\n";
  const struct net_resolv_opts keep = {0};
  _cleanup_free_ char *own = net_resolv_text(host, &keep, true);
  CHECK_STR(own, "search example.org\nnameserver 10.0.0.53\noptions ndots:2\n");
  _cleanup_free_ char *hostnet = net_resolv_text(host, &keep, false);
  CHECK_STR(hostnet, host);
  char *dns[] = {"9.9.9.9", NULL}, *none[] = {NULL};
  _cleanup_free_ char *given = net_resolv_text(host, &(struct net_resolv_opts){.dns = dns}, true);
  CHECK_STR(given, "search example.org\noptions ndots:2\nnameserver 9.9.9.9\n");
  _cleanup_free_ char *empty = net_resolv_text(host, &(struct net_resolv_opts){.dns = none}, true);
  CHECK_STR(empty, own);
  _cleanup_free_ char *local_only = net_resolv_text("nameserver 127.0.0.1\n", &keep, true);
  CHECK_STR(local_only, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  /* --dns-search and --dns-option replace the host's lines (and its domain
   * line); "." clears the search list. */
  char *search[] = {"a.test", "b.test", NULL}, *dot[] = {".", NULL}, *opts[] = {"ndots:5", NULL};
  _cleanup_free_ char *replaced = net_resolv_text(
      "domain x.test\nnameserver 10.0.0.53\noptions ndots:2\n",
      &(struct net_resolv_opts){.search = search, .options = opts}, true);
  CHECK_STR(replaced, "nameserver 10.0.0.53\nsearch a.test b.test\noptions ndots:5\n");
  _cleanup_free_ char *cleared = net_resolv_text(host, &(struct net_resolv_opts){.search = dot}, true);
  CHECK_STR(cleared, "nameserver 10.0.0.53\noptions ndots:2\n");
  return check_report("net_specs");
}
