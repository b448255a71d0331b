#!/usr/bin/perl
# Mojo::IOLoop: timers through the IOLoop API, I/O through its reactor's io()
# (the level below Mojo's streams). Mojo picks its reactor itself:
# Mojo::Reactor::EV when EV is installed, else Mojo::Reactor::Poll
# (MOJO_REACTOR overrides); the one used is reported in the info field.
# The workloads themselves are in BenchHarness.
use strict;
use warnings;
use FindBin ();
use lib $FindBin::Bin;
use BenchHarness;

run_impl(
    name    => 'mojo',
    modules => ['Mojo::IOLoop'],
    info    => sub { 'Mojolicious-' . Mojolicious->VERSION . ' reactor='
                     . ref(Mojo::IOLoop->singleton->reactor) },
    # io() starts watching for reading and writing; keep reading only.
    # It returns nothing to keep; timers return an id that is kept.
    loop    => sub {
        require Mojolicious;
        require Mojo::IOLoop;
        my $loop = Mojo::IOLoop->singleton;
        my $reactor = $loop->reactor;
        return {
            loop       => $loop,
            after      => '$loop->timer(%s => %s)',
            cancel     => '$loop->remove(%s)',
            watch_read => sub { $reactor->io($_[0] => $_[1])->watch($_[0], 1, 0); return },
            run        => sub { $loop->start },
            stop       => sub { $loop->stop },
        };
    },
);
