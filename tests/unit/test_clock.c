/* clock: the monotonic clock and ISO 8601 time. */
#include <criterion/criterion.h>

#include "clock.h"

Test(clock, mono_ms_never_goes_back)
{
    double a = mono_ms(), b = mono_ms();

    cr_assert_gt(a, 0.0);
    cr_assert_geq(b, a);
}

Test(clock, iso8601_is_utc_to_the_second)
{
    char out[32];

    clock_iso8601(0, out, sizeof(out));
    cr_assert_str_eq(out, "1970-01-01T00:00:00Z");
    clock_iso8601(1796113800, out, sizeof(out));
    cr_assert_str_eq(out, "2026-12-01T08:30:00Z");
}
