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
    loop    => sub { require Mojolicious; mojo_api() },
);
