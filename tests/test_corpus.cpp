// Corpus reader: a file or a folder as bytes; special and unreadable files are clean errors.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "charrnn/data/corpus.h"
#include "charrnn/errors.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace charrnn;
using charrnn::testing::TempDir;
using charrnn::testing::wait_for;
using charrnn::testing::write_file;

TEST(CorpusReader, SingleFileAndFolderGiveTheirBytes) {
  TempDir dir;
  write_file(dir / "one.txt", "hello\n");
  const Corpus one = read_corpus(dir / "one.txt");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(one.view().data), one.size), "hello\n");
  fs::create_directories(dir / "f/b");
  write_file(dir / "f/b/2.txt", "two");
  write_file(dir / "f/a.txt", "one");
  write_file(dir / "f/c.txt", "");
  const Corpus folder = read_corpus(dir / "f");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(folder.view().data), folder.size), "onetwo");
  EXPECT_EQ(folder.files.size(), 3u);
}

TEST(CorpusReader, UnreadableAndSpecialFilesAreCleanErrors) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  EXPECT_THROW(read_corpus(dir / "fifo"), InputError);  // would block forever if opened
  EXPECT_THROW(read_corpus("/dev/null"), InputError);
  fs::create_directories(dir / "only-fifo");
  ASSERT_EQ(::mkfifo((dir / "only-fifo/f").c_str(), 0600), 0);
  EXPECT_THROW(read_corpus(dir / "only-fifo"), InputError);
  fs::create_directories(dir / "empties");
  write_file(dir / "empties/a", "");
  write_file(dir / "empties/b", "");
  EXPECT_THROW(read_corpus(dir / "empties"), InputError);

  // chmod 000 does not stop root: read it as "nobody" in a child process.
  write_file(dir / "secret.txt", "text");
  ::chmod((dir / "secret.txt").c_str(), 0);
  ::chmod(dir.path().c_str(), 0755);
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    try {
      read_corpus(dir / "secret.txt");
    } catch (const InputError& e) {
      ::_exit(std::string(e.what()).find("Permission denied") != std::string::npos ? 0 : 1);
    }
    ::_exit(2);
  }
  EXPECT_EQ(wait_for(pid), 0) << "1: wrong message, 2: no error, 3: could not drop privileges";
}
