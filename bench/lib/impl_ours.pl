#!/usr/bin/perl
# Linux::Event (this project). bench/run puts the checkout's blib and lib
# on @INC. The wake workloads use $loop->waker (an eventfd: the announcer
# calls $waker->signal, the loop drains it and calls on_wakeup); with
# selfpipe=1 they use a self-pipe watched like any fd instead, which is what
# every other loop has to do. The workloads themselves are in BenchHarness.
use strict;
use warnings;
use FindBin ();
use lib $FindBin::Bin;
use BenchHarness;

run_impl(
    name  => 'ours',
    check => sub {
        return undef if eval { require Linux::Event; 1 };
        my ($why) = split /\n/, $@;
        $why =~ s/ \(you may need.*//;         # not the whole of @INC
        return "Linux::Event: $why (built? perl Makefile.PL && make)";
    },
    info  => sub {
        'Linux::Event-' . Linux::Event->VERSION . ($_[0]{selfpipe} ? ' self-pipe' : ' eventfd')
            . " from=$INC{'Linux/Event.pm'}";
    },
    # The watcher objects and timer ids are kept, as with every other loop.
    loop  => sub {
        my $loop = Linux::Event->new;
        return {
            loop       => $loop,
            after      => '$loop->after(%s, %s)',
            cancel     => '$loop->cancel(%s)',
            watch_read => sub { $loop->watch($_[0], read => $_[1]) },
            run        => sub { $loop->run },
            stop       => sub { $loop->stop },
        };
    },
    waker => sub {
        my $waker = $_[0]{loop}->waker;
        return (sub { $waker->signal }, sub { $waker->on_wakeup($_[0]) });
    },
);
