# IO::Async's own conformance suite for loop classes, IO::Async::LoopTests,
# on IO::Async::Loop::LinuxEvent: every test group it offers.
use strict;
use warnings;
use Test::More;

BEGIN {
    eval { require IO::Async::LoopTests; 1 }
        or plan skip_all => 'IO::Async (with IO::Async::LoopTests) is not installed';
}
IO::Async::LoopTests->import;

# The groups are found by name, so that a newer IO::Async's extra groups
# run too; 'child' is the old name of 'process'.
my @groups = grep { $_ ne 'child' } sort map { /^run_tests_(\w+)$/ ? $1 : () } keys %IO::Async::LoopTests::;
note "groups: @groups";
is(scalar(grep { /^(?:io|timer|signal|idle|process|control)$/ } @groups), 6,
    'the six groups the issue names are among them');
run_tests('IO::Async::Loop::LinuxEvent', @groups);
