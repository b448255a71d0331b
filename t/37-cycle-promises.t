#!perl
# A cycle dispatches what it promised, even when its callbacks change the
# loop: a due timer runs in its cycle whatever earlier callbacks schedule; a
# read callback that closes or drops its handle ends that delivery; the
# write half of a delivery whose read callback died comes in the next cycle
# (edge-triggered and oneshot watchers included); run_once counts only what
# ran; leftover signals keep the ascending order.
use v5.36;
use Test::More;
use POSIX ();

BEGIN { alarm 60 }

use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now run_until new_pipe new_socketpair);

# ---- a due timer is not hidden by an earlier timer scheduled in the cycle --
{
    my $loop = Linux::Event->new;
    my @ran;
    $loop->after(0, sub ($l) { push @ran, 'a'; $l->at(0, sub { push @ran, 'new' }) });
    $loop->after(0, sub { push @ran, 'b' });
    select(undef, undef, undef, 0.01);
    is $loop->run_once(0), 2, 'both due timers ran in the cycle';
    is "@ran", 'a b', '... in order, and the one scheduled in the cycle waits';
    is $loop->run_once(0), 1, 'the new timer runs in the next cycle';
    is "@ran", 'a b new', '... and only then';

    # after(0) from a slow I/O callback, a timer due in the same cycle.
    my ($r, $w) = new_pipe();
    @ran = ();
    $loop->watch($r, read => sub ($l, $fh, $wt) {
        sysread($fh, my $b, 64);
        push @ran, 'io';
        select(undef, undef, undef, 0.03);
        $l->after(0, sub { push @ran, 'later' });
    });
    $loop->after(0.01, sub { push @ran, 'due' });
    syswrite($w, 'x');
    select(undef, undef, undef, 0.02);
    is $loop->run_once(0), 2, 'slow I/O callback: the due timer ran in the same cycle';
    is "@ran", 'io due', '... after the I/O callback';
    $loop->run_once(0);
    is "@ran", 'io due later', 'the timer the I/O callback scheduled came next cycle';

    # The same with stop: the due timer is not left for the next run.
    @ran = ();
    $loop->after(0, sub ($l) { push @ran, 'first'; $l->at(0, sub { push @ran, 'x' }); $l->stop });
    $loop->after(0, sub { push @ran, 'second' });
    select(undef, undef, undef, 0.01);
    $loop->run;
    is "@ran", 'first second', 'after stop, the timers already due still ran in that cycle';
    $loop->run_once(0);
}

# ---- a read callback that closes or drops its own handle -------------------
for my $how (qw(close drop)) {
    my $loop = Linux::Event->new;
    my ($x, $y) = new_socketpair();
    syswrite($y, 'x');    # $x is readable and writable
    my ($reads, $writes) = (0, 0);
    my $watcher = $loop->watch($x,
        read  => sub ($l, $fh, $wt) { $reads++; $how eq 'close' ? close($x) : undef($x) },
        write => sub { $writes++ });
    undef $watcher;
    is $loop->run_once(0), 1, "read callback that does $how on its handle: one callback ran";
    is "$reads $writes", '1 0', "... and the write callback of that delivery did not";
}

# ---- the write half of a delivery whose read callback died ----------------
for my $mode (qw(level edge oneshot)) {
    my $loop = Linux::Event->new;
    my ($x, $y) = new_socketpair();
    syswrite($y, 'x');
    my ($reads, $writes) = (0, 0);
    $loop->watch($x,
        read => sub ($l, $fh, $wt) { $reads++; sysread($fh, my $b, 64); die "read died\n" },
        write => sub ($l, $fh, $wt) { $writes++ },
        edge_triggered => $mode eq 'edge',
        oneshot        => $mode eq 'oneshot');
    ok !eval { $loop->run_once(0); 1 }, "$mode: the read callback's die comes out of run_once";
    is $@, "read died\n", "$mode: ... unchanged";
    is $writes, 0, "$mode: the write half has not run yet";
    $loop->run_once(0);
    is $writes, 1, "$mode: the next cycle dispatches the write half";
    is $reads, 1, "$mode: ... and not the read half again";
}

# ---- run_once counts only what ran: SIGSTOP/SIGCONT run no handler ---------
{
    my $loop = Linux::Event->new;
    my $parent = $$;
    my $kid = fork // die "fork: $!";
    if (!$kid) {
        select(undef, undef, undef, 0.1);
        kill 'STOP', $parent;
        select(undef, undef, undef, 0.05);
        kill 'CONT', $parent;
        POSIX::_exit(0);
    }
    my $t0 = now();
    my $ran = $loop->run_once(0.6);
    my $took = now() - $t0;
    is $ran, 0, 'a wait interrupted by SIGSTOP/SIGCONT ran nothing: run_once returns 0';
    cmp_ok $took, '>=', 0.55, sprintf('... after waiting out its timeout (%.2f s)', $took);
    waitpid($kid, 0);
}

# ---- leftover signals after a dying signal callback keep ascending order ---
{
    my $loop = Linux::Event->new;
    my @got;
    my $died = 0;
    my $sub = $loop->signal([qw(USR1 USR2)], sub ($l, $signo, $count, $data) {
        push @got, $signo;
        die "signal died\n" unless $died++;
    });
    kill 'USR1', $$;
    kill 'USR2', $$;
    ok !eval { $loop->run_once(0.5); 1 }, 'the signal callback died';
    is "@got", POSIX::SIGUSR1(), 'USR1 came first and died; USR2 is left over';
    kill 'USR1', $$;
    @got = ();
    $loop->run_once(0.5);
    is "@got", join(' ', POSIX::SIGUSR1(), POSIX::SIGUSR2()),
        'next cycle: the new USR1 and the leftover USR2, in ascending order';
    $sub->cancel;
}

done_testing;
