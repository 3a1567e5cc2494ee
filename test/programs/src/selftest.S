/* Harness self-check: passes cases 1-2, then fails case 3 on purpose after printing
 * and taking one trap, so a harness can verify that it reports failures and their
 * case numbers. Expected result: fail with code 3. */
#define TEST_NAME "selftest"
#include "test-macros.h"

TEST_BEGIN
    TEST_CASE(1, a0, 1, li a0, 1)
    TEST_MTRAP(2, CAUSE_ECALL_M, ecall)
    TEST_CASE(3, a0, 2, li a0, 3)      /* deliberately wrong */
TEST_END
