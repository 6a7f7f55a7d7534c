/* Admission of migrations onto a shared link (proto/admit.h): at most
 * `cap` at once, the others wait; a freed slot goes to the waiting
 * migration worth most, the oldest among equals; a
 * migration that gave up waiting leaves the queue; no limit when cap is 0. */
#include <stdbool.h>
#include <stdint.h>

#include "../unit/check.h"
#include "proto/admit.h"

/* Migration 7 relieves an overload most, 8 a little; the others nothing. */
static double worth(void *data, uint64_t id) {
  (void)data;
  return id == 7 ? 50 : id == 8 ? 10 : 0;
}

static void test_cap_and_order(void) {
  struct admit a;
  admit_init(&a, 2);
  CHECK(admit_request(&a, 1, 0) == 1);
  CHECK(admit_request(&a, 2, 0) == 1);
  CHECK(!admit_congested(&a));
  CHECK(admit_request(&a, 3, 1) == 0); /* the link is full */
  CHECK(admit_request(&a, 4, 2) == 0);
  CHECK(admit_congested(&a));
  CHECK(a.inflight == 2 && a.n == 2 && a.max_waiting == 2);
  uint64_t id = 0;
  CHECK(admit_next(&a, 5, NULL, NULL, &id) && id == 3); /* the oldest */
  CHECK(a.inflight == 2 && a.n == 1);
  CHECK(admit_next(&a, 6, NULL, NULL, &id) && id == 4);
  CHECK(!admit_congested(&a));
  CHECK(!admit_next(&a, 7, NULL, NULL, &id)); /* nobody waits: a slot frees */
  CHECK(a.inflight == 1);
  CHECK(admit_request(&a, 5, 8) == 1);
  CHECK(a.admitted_at_once == 3 && a.admitted_after_wait == 2);
  CHECK(a.waited == (5 - 1) + (6 - 2));
  admit_free(&a);
}

static void test_worth_first(void) {
  struct admit a;
  admit_init(&a, 1);
  CHECK(admit_request(&a, 1, 0) == 1);
  CHECK(admit_request(&a, 5, 1) == 0);
  CHECK(admit_request(&a, 8, 2) == 0);
  CHECK(admit_request(&a, 7, 3) == 0);
  CHECK(admit_request(&a, 6, 4) == 0);
  uint64_t id = 0;
  CHECK(admit_next(&a, 4, worth, NULL, &id) && id == 7);
  CHECK(admit_next(&a, 5, worth, NULL, &id) && id == 8);
  CHECK(admit_next(&a, 6, worth, NULL, &id) && id == 5); /* then the oldest */
  CHECK(admit_next(&a, 7, worth, NULL, &id) && id == 6);
  admit_free(&a);
}

static void test_cancel(void) {
  struct admit a;
  admit_init(&a, 1);
  CHECK(admit_request(&a, 1, 0) == 1);
  CHECK(admit_request(&a, 2, 0) == 0);
  CHECK(admit_request(&a, 3, 0) == 0);
  CHECK(admit_cancel(&a, 2)); /* its deadline passed */
  CHECK(!admit_cancel(&a, 2));
  CHECK(!admit_cancel(&a, 1)); /* admitted, not waiting */
  CHECK(a.expired == 1 && a.n == 1);
  uint64_t id = 0;
  CHECK(admit_next(&a, 1, NULL, NULL, &id) && id == 3);
  admit_free(&a);
}

static void test_no_limit(void) {
  struct admit a;
  admit_init(&a, 0);
  for (uint64_t i = 1; i <= 1000; i++)
    CHECK(admit_request(&a, i, 0) == 1);
  CHECK(!admit_congested(&a) && a.n == 0);
  uint64_t id = 0;
  CHECK(!admit_next(&a, 1, NULL, NULL, &id));
  admit_free(&a);
}

int main(void) {
  test_cap_and_order();
  test_worth_first();
  test_cancel();
  test_no_limit();
  return check_report("proto_admit");
}
