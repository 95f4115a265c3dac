// FaultInjection: the CHARRNN_INJECT_FAULT spec that the robustness tests use to force NaN/Inf.
#include <gtest/gtest.h>

#include "charrnn/errors.h"
#include "charrnn/train/fault_injection.h"

using namespace charrnn;

TEST(FaultInjectionSpec, ParsesAndRefusesMalformedSpecs) {
  FaultInjection none;
  EXPECT_FALSE(none.fire(FaultInjection::Kind::kLossNaN, 1));
  FaultInjection twice("loss-nan@5x2");
  EXPECT_FALSE(twice.fire(FaultInjection::Kind::kLossNaN, 4));
  EXPECT_FALSE(twice.fire(FaultInjection::Kind::kGradInf, 5));
  EXPECT_TRUE(twice.fire(FaultInjection::Kind::kLossNaN, 5));
  EXPECT_TRUE(twice.fire(FaultInjection::Kind::kLossNaN, 5));
  EXPECT_FALSE(twice.fire(FaultInjection::Kind::kLossNaN, 5));
  EXPECT_TRUE(FaultInjection("grad-inf@1").fire(FaultInjection::Kind::kGradInf, 1));
  for (const char* bad : {"nan", "loss-nan@", "loss-nan@0", "loss-nan@3x0", "loss-nan@3y",
                          "weights-nan@3", "loss-nan@-1"}) {
    EXPECT_THROW(FaultInjection{bad}, InputError) << bad;
  }
}
