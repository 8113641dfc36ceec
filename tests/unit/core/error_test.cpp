// Typed exceptions carry the full details of the failure (issue 17 step 5): what a Status knew
// survives throw_if_error, and no typed error is thrown half-filled.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "agents/checkpoint/checkpointer.hpp"
#include "agents/core/status.hpp"

namespace agents {
namespace {

ErrorDetails answered(int http_status, bool outcome_unknown = false, bool transient = false) {
  ErrorDetails d;
  d.service_code = "SomeException";
  d.http_status = http_status;
  d.request_id = "REQ-123";
  d.outcome_unknown = outcome_unknown;
  d.transient = transient;
  return d;
}

template <typename E>
E thrown_by(const Status& s) {
  try {
    s.throw_if_error();
  } catch (const E& e) {
    return e;
  }
  ADD_FAILURE() << "no exception of the expected type";
  throw std::logic_error("unreachable");
}

TEST(ThrowIfError, TimeoutKeepsOutcomeUnknownHttpStatusAndRequestId) {
  const Status s(ErrorCode::kTimeout, "timed out", answered(0, /*outcome_unknown=*/true, /*transient=*/true));
  auto e = thrown_by<TimeoutError>(s);
  EXPECT_EQ(e.code(), ErrorCode::kTimeout);
  EXPECT_TRUE(e.outcome_unknown());
  EXPECT_TRUE(e.transient());
  EXPECT_EQ(e.request_id(), "REQ-123");
  EXPECT_EQ(e.service_code(), "SomeException");
}

TEST(ThrowIfError, ConnectionErrorKeepsOutcomeUnknown) {
  ErrorDetails d;
  d.outcome_unknown = true;
  d.transient = true;
  auto e = thrown_by<ConnectionError>(Status(ErrorCode::kConnectionFailed, "reset after sending", d));
  EXPECT_TRUE(e.outcome_unknown());
  EXPECT_TRUE(e.transient());
  EXPECT_EQ(e.http_status(), 0);
}

TEST(ThrowIfError, ServiceErrorsKeepEveryDetail) {
  auto s = thrown_by<ServiceError>(Status(ErrorCode::kServiceError, "boom", answered(500, true, true)));
  EXPECT_EQ(s.http_status(), 500);
  EXPECT_EQ(s.request_id(), "REQ-123");
  EXPECT_EQ(s.service_code(), "SomeException");
  EXPECT_TRUE(s.outcome_unknown());
  EXPECT_TRUE(s.transient());
  auto t = thrown_by<ThrottledError>(Status(ErrorCode::kThrottled, "slow down", answered(400, false, true)));
  EXPECT_EQ(t.http_status(), 400);
  EXPECT_TRUE(t.details().transient);
  auto m = thrown_by<ModelError>(Status(ErrorCode::kModelError, "bad request", answered(400)));
  EXPECT_EQ(m.code(), ErrorCode::kModelError);
  EXPECT_EQ(m.request_id(), "REQ-123");
  auto n = thrown_by<NotFoundError>(Status(ErrorCode::kNotFound, "no table", answered(400)));
  EXPECT_EQ(n.service_code(), "SomeException");
}

TEST(ThrowIfError, CodesWhoseTypedErrorNeedsMoreThanAStatusThrowTheGeneralTypeWithTheCode) {
  // A Status cannot say which versions conflicted or how large a state was: no ConflictError
  // ("", -1, -1) or StateTooLargeError (0, 0), but the general type with code and details.
  for (ErrorCode code : {ErrorCode::kConflict, ErrorCode::kStateTooLarge, ErrorCode::kCorruptState,
                         ErrorCode::kOutcomeUnknown}) {
    try {
      Status(code, "from a status", answered(400)).throw_if_error();
      ADD_FAILURE() << "nothing thrown";
    } catch (const ConflictError&) {
      ADD_FAILURE() << "a half-filled ConflictError";
    } catch (const StateTooLargeError&) {
      ADD_FAILURE() << "a half-filled StateTooLargeError";
    } catch (const CorruptStateError&) {
      ADD_FAILURE() << "a half-filled CorruptStateError";
    } catch (const OutcomeUnknownError&) {
      ADD_FAILURE() << "a half-filled OutcomeUnknownError";
    } catch (const ServiceError& e) {
      EXPECT_EQ(e.code(), code);
      EXPECT_EQ(e.http_status(), 400);
      EXPECT_EQ(e.request_id(), "REQ-123");
    }
    try {
      Status(code, "no answer").throw_if_error();
    } catch (const ServiceError&) {
      ADD_FAILURE() << "no service answered";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), code);
    }
  }
}

TEST(TypedErrors, TheOldConstructorsStillFillTheDetails) {
  ServiceError e("m", "ValidationException", 400, "R1");
  EXPECT_EQ(e.code(), ErrorCode::kServiceError);
  EXPECT_EQ(e.service_code(), "ValidationException");
  EXPECT_EQ(e.http_status(), 400);
  EXPECT_EQ(e.request_id(), "R1");
  EXPECT_FALSE(e.outcome_unknown());
  const Error& base = AccessDeniedError("m", "AccessDeniedException", 403, "R2");
  EXPECT_EQ(base.http_status(), 403);
  EXPECT_EQ(base.code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(TimeoutError("t").http_status(), 0);
}

class FileCheckpointerErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("agents-error-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::filesystem::path root_;
};

TEST_F(FileCheckpointerErrors, ADirectoryThatCannotBeCreatedIsAServiceError) {
  std::ofstream(root_ / "a-file") << "not a directory";
  const std::string dir = (root_ / "a-file" / "store").string();
  try {
    FileCheckpointer cp(dir);
    ADD_FAILURE() << "constructed over a file";
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kServiceError);
    const auto* storage = dynamic_cast<const StorageError*>(&e);
    ASSERT_NE(storage, nullptr);
    EXPECT_EQ(storage->path(), dir);
    EXPECT_TRUE(storage->os_error());
    EXPECT_NE(std::string(e.what()).find(dir), std::string::npos) << e.what();
  }
}

TEST_F(FileCheckpointerErrors, AnIoFailureDuringASaveIsAStorageError) {
  const auto dir = root_ / "store";
  FileCheckpointer cp(dir.string());
  // The store's directory becomes a file: the lock file cannot be opened (ENOTDIR).
  std::filesystem::remove_all(dir);
  std::ofstream(dir) << "in the way";
  try {
    cp.save_state("t", AgentStateSnapshot{});
    ADD_FAILURE() << "saved without a directory";
  } catch (const StorageError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kServiceError);
    EXPECT_EQ(e.path(), (dir / ".lock").string());
    EXPECT_EQ(e.os_error(), std::errc::not_a_directory);
    const ServiceError& as_service = e;
    EXPECT_EQ(as_service.http_status(), 0);
  }
}

}  // namespace
}  // namespace agents
