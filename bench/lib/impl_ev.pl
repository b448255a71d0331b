#!/usr/bin/perl
# EV (libev): the reference every ratio is taken against.
# EV is loaded at run time, after the wake workloads have started their
# announcer thread, so the thread never holds a clone of EV's state.
# The workloads themselves are in BenchHarness.
use strict;
use warnings;
use FindBin ();
use lib $FindBin::Bin;
use BenchHarness;

run_impl(
    name    => 'ev',
    modules => ['EV'],
    info    => sub { 'EV-' . EV->VERSION . ' backend=' . backend() },
    # The returned watcher objects are kept, as an EV user must.
    loop    => sub {
        require EV;
        return {
            after       => 'EV::timer(%s, 0, %s)',
            cancel      => 'undef %s',
            hold_timers => 1,
            watch_read  => sub { EV::io($_[0], EV::READ(), $_[1]) },
            run         => sub { EV::run() },
            stop        => sub { EV::break(EV::BREAK_ALL()) },
            ready       => sub { EV::now_update() },
        };
    },
);

sub backend {
    my $b = EV::backend();
    return $b == EV::BACKEND_EPOLL() ? 'epoll'
         : $b == EV::BACKEND_POLL()  ? 'poll'
         : $b == EV::BACKEND_SELECT() ? 'select' : $b;
}
