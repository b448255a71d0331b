#!/usr/bin/perl
# AnyEvent through its fast AE:: API. bench/run sets PERL_ANYEVENT_MODEL
# (Perl: AnyEvent's own pure-Perl loop; EV: on top of EV; bench/anyevent
# also runs LinuxEvent: on top of Linux::Event); the model
# AnyEvent really picked is checked and reported. The workloads themselves
# are in BenchHarness.
use strict;
use warnings;
use FindBin ();
use lib $FindBin::Bin;
use BenchHarness;

my %MODEL_MODULE = (Perl => 'AnyEvent::Impl::Perl', EV => 'AnyEvent::Impl::EV');
my $want = $ENV{PERL_ANYEVENT_MODEL} || 'Perl';

run_impl(
    name    => "anyevent-$want",
    modules => ['AnyEvent', ($want eq 'EV' ? 'EV' : $want eq 'LinuxEvent' ? 'Linux::Event' : ())],
    info    => sub { 'AnyEvent-' . AnyEvent->VERSION . ' model=' . AnyEvent::detect() },
    # A condition variable is the loop: recv runs it until send.
    # The returned guards are kept, as an AnyEvent user must.
    loop    => sub {
        require AnyEvent;
        my $model = AnyEvent::detect();
        my $expect = $MODEL_MODULE{$want} || "AnyEvent::Impl::$want";
        die "AnyEvent picked $model, not $expect\n" unless $model eq $expect;
        my $cv = AE::cv();
        return {
            after       => 'AE::timer(%s, 0, %s)',
            cancel      => 'undef %s',
            hold_timers => 1,
            watch_read  => sub { AE::io($_[0], 0, $_[1]) },
            run         => sub { $cv->recv },
            stop        => sub { $cv->send },
        };
    },
);
