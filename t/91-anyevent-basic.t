#!/usr/bin/env perl
# AnyEvent on Linux::Event: model selection, timers, io watchers (several on
# one handle), condition variables, idle watchers and the clock.
use v5.36;
use Test::More;
use Socket qw(AF_UNIX SOCK_STREAM PF_UNSPEC);
use Time::HiRes qw(time);

BEGIN {
    plan skip_all => 'AnyEvent is not installed' unless eval { require AnyEvent; 1 };
    alarm 60;
}

use Linux::Event;
use AnyEvent;

# ---- which model AnyEvent picks -----------------------------------------------

is AnyEvent::detect(), 'AnyEvent::Impl::LinuxEvent',
    'Linux::Event loaded before detection: AnyEvent picks this model';

sub model_in_child ($model) {
    local $ENV{PERL_ANYEVENT_MODEL} = $model;
    delete $ENV{PERL_ANYEVENT_MODEL} unless defined $model;
    return scalar `$^X -Ilib -MAnyEvent -e "print AnyEvent::detect()" 2>&1`;
}
is model_in_child('LinuxEvent'), 'AnyEvent::Impl::LinuxEvent',
    'PERL_ANYEVENT_MODEL=LinuxEvent picks it without loading Linux::Event first';
like model_in_child(undef), qr/^AnyEvent::Impl::(?!LinuxEvent)\w+\z/,
    'without Linux::Event loaded and no PERL_ANYEVENT_MODEL, AnyEvent picks its usual model';
is `$^X -Ilib -MLinux::Event -e "print scalar grep { /AnyEvent/ } keys %INC"`, '0',
    'use Linux::Event alone loads nothing of AnyEvent';

my $loop = AnyEvent::Impl::LinuxEvent->linux_event_loop;
isa_ok $loop, 'Linux::Event::Loop', 'linux_event_loop';
is(AnyEvent->linux_event_loop, $loop, 'AnyEvent->linux_event_loop is the same loop');

# ---- timers -----------------------------------------------------------------

{
    my @order;
    my $cv = AE::cv;
    my $t0 = time;
    my $late  = AE::timer 0.06, 0, sub { push @order, 'late'; $cv->send };
    my $early = AE::timer 0.02, 0, sub { push @order, 'early' };
    my $gone  = AE::timer 0.01, 0, sub { push @order, 'cancelled' };
    undef $gone;
    $cv->recv;
    my $dt = time - $t0;
    is "@order", 'early late', 'timers fire in deadline order; a destroyed guard cancels its timer';
    cmp_ok $dt, '>=', 0.055, 'recv blocked until the 60 ms timer';
    cmp_ok $dt, '<', 2, '... and not much longer';
}

{
    my ($n, @at) = (0);
    my $cv = AE::cv;
    my $t0 = time;
    my $rep; $rep = AE::timer 0.01, 0.02, sub { push @at, time - $t0; $cv->send if ++$n == 4 };
    $cv->recv;
    undef $rep;
    is $n, 4, 'an interval timer repeats';
    cmp_ok $at[3] - $at[0], '>=', 0.055, '... at its interval (3 intervals >= 60 ms)';
    my $cv2 = AE::cv;
    my $t = AE::timer 0.08, 0, sub { $cv2->send };
    $cv2->recv;
    is $n, 4, '... and stops when its guard is destroyed';

    my $self_cancel = 0;
    my $cv3 = AE::cv;
    my $w; $w = AE::timer 0, 0.005, sub { ++$self_cancel; undef $w };
    my $end = AE::timer 0.05, 0, sub { $cv3->send };
    $cv3->recv;
    is $self_cancel, 1, 'an interval timer that destroys its guard in its callback fires once';
}

{
    my $cv = AE::cv;
    my $t = AnyEvent->timer(after => 0.01, cb => $cv);    # a condvar as callback
    $cv->recv;
    ok $cv->ready, 'AnyEvent->timer with a condition variable as callback';

    my $cv2 = AE::cv;
    my $blessed = bless sub { $cv2->send('blessed') }, 'Some::Class';
    my $t2 = AE::timer 0, 0, $blessed;
    is $cv2->recv, 'blessed', 'AE::timer with a blessed code reference as callback';

    # arguments with get-magic take the slow path; their FETCH runs once
    my $fetches = 0;
    { package TiedDelay; sub TIESCALAR { bless [] } sub FETCH { ++$fetches; 0.01 } }
    tie my $delay, 'TiedDelay';
    my $cv3 = AE::cv;
    my $t3 = AE::timer $delay, 0, sub { $cv3->send('tied') };
    is $cv3->recv, 'tied', 'AE::timer with a tied delay';
    is $fetches, 1, '... read once';
}

{
    # zero-delay chain: each timer schedules the next
    my ($i, $w) = (0);
    my $cv = AE::cv;
    my $next; $next = sub { if (++$i < 1000) { $w = AE::timer 0, 0, $next } else { $cv->send } };
    $w = AE::timer 0, 0, $next;
    $cv->recv;
    is $i, 1000, 'a chain of 1000 zero-delay timers runs to the end';
    undef $next;
}

# ---- io -----------------------------------------------------------------------

sub pair {
    socketpair(my $x, my $y, AF_UNIX, SOCK_STREAM, PF_UNSPEC) or die "socketpair: $!";
    return ($x, $y);
}

{
    my ($x, $y) = pair();
    my $cv = AE::cv;
    my $got = '';
    my $r = AE::io $y, 0, sub { sysread $y, my $buf, 100; $got .= $buf; $cv->send if $got eq 'hello' };
    my $w; $w = AE::io $x, 1, sub { syswrite $x, 'hello'; undef $w };
    $cv->recv;
    is $got, 'hello', 'AE::io write then read across a socketpair';
}

{
    # two read watchers on one handle both fire; destroying one leaves the other
    my ($x, $y) = pair();
    my (@a, @b);
    my $cv = AE::cv;
    my $wa = AE::io $y, 0, sub { push @a, 1 };
    my $wb = AE::io $y, 0, sub { push @b, 1; sysread $y, my $buf, 100; $cv->send };
    syswrite $x, 'x';
    $cv->recv;
    is scalar(@a), 1, 'first of two read watchers on one fd fired';
    is scalar(@b), 1, 'second of two read watchers on one fd fired';

    undef $wa;
    @a = @b = ();
    $cv = AE::cv;
    syswrite $x, 'y';
    $cv->recv;
    is scalar(@a), 0, 'a destroyed watcher no longer fires';
    is scalar(@b), 1, '... the other one on the same fd still does';

    # a read and a write watcher on one fd
    my ($rd, $wr) = (0, 0);
    $cv = AE::cv;
    my $ww; $ww = AE::io $y, 1, sub { ++$wr; undef $ww; syswrite $x, 'z' };
    $cv->recv;
    is $wr, 1, 'a write watcher on a fd that also has a read watcher';
    undef $wb;
    ok !$loop->unwatch($y), 'with every guard gone, the loop no longer watches the fd';
}

{
    # a callback that destroys another watcher of the same fd: that one does not fire
    my ($x, $y) = pair();
    my ($first, $second, $fired) = (0, 0);
    my ($w1, $w2);
    $w1 = AE::io $y, 0, sub { ++$first;  undef $w2; sysread $y, my $b, 10 };
    $w2 = AE::io $y, 0, sub { ++$second; undef $w1; sysread $y, my $b, 10 };
    syswrite $x, 'q';
    my $cv = AE::cv;
    my $t = AE::timer 0.05, 0, sub { $cv->send };
    $cv->recv;
    is $first + $second, 1, 'a watcher destroyed by another of the same fd in the same cycle does not fire';
}

{
    # a bare file descriptor number
    pipe(my $r, my $w) or die;
    my $cv = AE::cv;
    my $io = AE::io fileno($r), 0, sub { $cv->send('readable') };
    syswrite $w, 'x';
    is $cv->recv, 'readable', 'AE::io on a bare descriptor number';
    undef $io;
    ok defined fileno($r), '... the original handle stays open after the watcher goes';
}

{
    # the method interface
    my ($x, $y) = pair();
    my $cv = AE::cv;
    my $w = AnyEvent->io(fh => $y, poll => 'r', cb => sub { $cv->send('r') });
    syswrite $x, '1';
    is $cv->recv, 'r', 'AnyEvent->io(fh, poll, cb)';
}

# ---- condition variables --------------------------------------------------------

{
    my $cv = AE::cv;
    my $t1 = AE::timer 0.01, 0, sub { $cv->send(1, 2, 3) };
    is_deeply [$cv->recv], [1, 2, 3], 'send with a list, recv in list context';

    my $done = 0;
    my $group = AE::cv { $done = 1 };
    my @t;
    for my $d (0.01, 0.02, 0.03) {
        $group->begin;
        push @t, AE::timer $d, 0, sub { $group->end };
    }
    $group->recv;
    ok $done, 'begin/end: the condvar is sent when the last end runs, and its cb ran';

    my $c = AE::cv;
    my $t2 = AE::timer 0.01, 0, sub { $c->croak("no luck\n") };
    eval { $c->recv };
    like $@, qr/^no luck/, 'croak makes recv die';

    my $sent = AE::cv;
    $sent->send('early');
    is $sent->recv, 'early', 'recv of a condvar sent before waiting returns at once';
}

# ---- idle -------------------------------------------------------------------------

{
    my ($idle, $timer_runs) = (0, 0);
    my $cv = AE::cv;
    my $i = AE::idle sub { ++$idle; $cv->send if $idle == 50 };
    $cv->recv;
    is $idle, 50, 'an idle watcher runs while the loop has nothing else to do';
    undef $i;

    # an idle watcher created from a callback inside recv is noticed
    my $cv2 = AE::cv;
    my $i2;
    my $t = AE::timer 0.01, 0, sub { $i2 = AE::idle sub { $cv2->send('idle ran') } };
    is $cv2->recv, 'idle ran', 'an idle watcher created during recv runs';
    undef $i2;

    # idle does not starve timers
    my $cv3 = AE::cv;
    my $spins = 0;
    my $i3 = AE::idle sub { ++$spins };
    my $t3 = AE::timer 0.03, 0, sub { $cv3->send };
    $cv3->recv;
    undef $i3;
    cmp_ok $spins, '>', 0, 'idle and a timer together: idle ran, and the timer ended the wait';
}

# ---- time -----------------------------------------------------------------------------

{
    my $wall = time;
    cmp_ok abs(AE::now - $wall), '<', 1, 'AE::now is the wall clock';
    cmp_ok abs(AnyEvent->now - $wall), '<', 1, 'AnyEvent->now too';
    cmp_ok abs(AE::time - $wall), '<', 1, 'AE::time too';
    AE::now_update;
    AnyEvent->now_update;
    my $a = AE::now;
    select undef, undef, undef, 0.02;
    cmp_ok AE::now - $a, '>=', 0.015, 'AE::now moves without a cycle of the loop';
}

# ---- one cycle ----------------------------------------------------------------------

{
    my $fired = 0;
    my $t = AE::timer 0.01, 0, sub { ++$fired };
    my $t0 = time;
    AnyEvent->_poll until $fired;
    is $fired, 1, 'AnyEvent->_poll runs cycles until the timer fired';
    cmp_ok time - $t0, '>=', 0.005, '... blocking in between, not spinning past the deadline';
    $fired = 0;
    $t = AE::timer 0, 0, sub { ++$fired };
    AnyEvent->one_event;
    is $fired, 1, 'AnyEvent->one_event runs one cycle';
}

done_testing;
