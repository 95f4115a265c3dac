// Runs a test once per kernel path (cpu_isa.h): the path is set for the test and restored after
// it, and paths this CPU or build lacks are skipped with a message naming them. Torch-free.
#pragma once
#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>

#include "charrnn/model/cpu_isa.h"

namespace charrnn::kernels {
// GoogleTest names the path in failure messages ("GetParam() = avx2").
inline void PrintTo(Isa isa, std::ostream* os) { *os << isa_name(isa); }
}  // namespace charrnn::kernels

namespace charrnn::test {

inline constexpr kernels::Isa kAllIsas[] = {kernels::Isa::portable, kernels::Isa::avx2,
                                            kernels::Isa::avx512, kernels::Isa::neon};

// Sets a kernel path for a scope and restores the previous one.
class IsaScope {
 public:
  explicit IsaScope(kernels::Isa isa) : saved_(kernels::active_isa()) { kernels::set_isa(isa); }
  ~IsaScope() { kernels::set_isa(saved_); }
  IsaScope(const IsaScope&) = delete;
  IsaScope& operator=(const IsaScope&) = delete;

 private:
  kernels::Isa saved_;
};

// Fixture parameterised by kernel path; the test body runs with GetParam() active.
class PerIsa : public ::testing::TestWithParam<kernels::Isa> {
 protected:
  void SetUp() override {
    if (!kernels::isa_supported(GetParam()))
      GTEST_SKIP() << "kernel path " << kernels::isa_name(GetParam())
                   << " is not supported by this CPU or build";
    scope_.emplace(GetParam());
  }
  void TearDown() override { scope_.reset(); }

 private:
  std::optional<IsaScope> scope_;
};

inline std::string isa_param_name(const ::testing::TestParamInfo<kernels::Isa>& info) {
  return kernels::isa_name(info.param);
}

}  // namespace charrnn::test

// INSTANTIATE_PER_ISA(MyFixture) after TEST_P(MyFixture, ...): MyFixture/Isa.Name/avx2 etc.
#define INSTANTIATE_PER_ISA(Fixture)                                                   \
  INSTANTIATE_TEST_SUITE_P(Isa, Fixture, ::testing::ValuesIn(charrnn::test::kAllIsas), \
                           charrnn::test::isa_param_name)
