#!/usr/bin/perl
# IO::Async through the loop's low-level watch_time / watch_io API.
# The loop class is the best one installed: Epoll, else Poll, else Select
# (reported in the info field). The workloads themselves are in BenchHarness.
use strict;
use warnings;
use FindBin ();
use lib $FindBin::Bin;
use BenchHarness;

my $CLASS;

run_impl(
    name    => 'ioasync',
    modules => ['IO::Async::Loop'],
    info    => sub { "$CLASS-" . $CLASS->VERSION
                     . ' IO::Async-' . IO::Async::Loop->VERSION
                     . (eval { require Heap; 1 } ? ' Heap-' . Heap->VERSION : ' no-Heap') },
    loop    => sub { ioasync_api(new_loop()) },
);

sub new_loop {
    for my $c (qw(IO::Async::Loop::Epoll IO::Async::Loop::Poll IO::Async::Loop::Select)) {
        (my $file = "$c.pm") =~ s{::}{/}g;
        next unless eval { require $file; 1 };
        $CLASS = $c;
        return $c->new;
    }
    die "no IO::Async loop class could be loaded\n";
}
