use strict;
use warnings;
use Test::More;

BEGIN {
    eval { require IO::Async::LoopTests; 1 }
        or plan skip_all => 'IO::Async (with IO::Async::LoopTests) is not installed';
}
IO::Async::LoopTests->import;

# Every group IO::Async::LoopTests offers, found by name so that a newer
# IO::Async's extra groups are run too.
my @groups = sort map { /^run_tests_(\w+)$/ ? $1 : () } keys %IO::Async::LoopTests::;
@groups = grep { $_ ne 'child' } @groups;    # the old name of 'process'
note "groups: @groups";
ok(scalar(grep { m{^(?:io|timer|signal|idle|process|control)$} } @groups) == 6, "the usual groups are offered");
run_tests('IO::Async::Loop::LinuxEvent', @groups);
