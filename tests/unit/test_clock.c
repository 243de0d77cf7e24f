/* clock: the monotonic clock. */
#include <criterion/criterion.h>

#include "clock.h"

Test(clock, mono_ms_never_goes_back)
{
    double a = mono_ms(), b = mono_ms();

    cr_assert_gt(a, 0.0);
    cr_assert_geq(b, a);
}
