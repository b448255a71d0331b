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
    # watch_io returns nothing to keep; timers return an id that is kept.
    loop    => sub {
        my $loop = new_loop();
        return {
            loop       => $loop,
            after      => '$loop->watch_time(after => %s, code => %s)',
            cancel     => '$loop->unwatch_time(%s)',
            watch_read => sub { $loop->watch_io(handle => $_[0], on_read_ready => $_[1]); return },
            run        => sub { $loop->run },
            stop       => sub { $loop->stop },
        };
    },
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
