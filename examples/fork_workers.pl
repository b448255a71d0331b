#!/usr/bin/env perl
# Forked workers and the waker: each worker computes results, writes them to
# its own pipe and announces them with $waker->signal (which works from a
# forked child).  The parent reads the pipes from on_wakeup, reaps the
# workers with $loop->pid, and stops when every result is in and every
# worker has exited.
use v5.36;
use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);
use Errno qw(EAGAIN);
use POSIX qw(WIFEXITED WEXITSTATUS);
use FindBin;
use lib "$FindBin::Bin/../lib";
use Linux::Event;

my $workers = 3;
my $jobs    = 4;    # per worker

my $loop  = Linux::Event->new;
my $waker = $loop->waker;    # create it before forking: the children inherit it

my (%pipe, %buffer);         # worker number => read end, partial line
my ($results, $exited, $signals, $wakeups) = (0, 0, 0, 0);

sub finish_if_done ($loop) {
    $loop->stop if $results == $workers * $jobs && $exited == $workers;
}

$waker->on_wakeup(sub ($loop, $count) {
    $wakeups++;
    $signals += $count;
    for my $n (sort keys %pipe) {
        while (1) {
            my $got = sysread($pipe{$n}, my $buf, 4096);
            if (!defined $got) { die "read: $!" unless $! == EAGAIN; last }
            if ($got == 0) { close delete $pipe{$n}; last }    # the worker closed it
            $buffer{$n} .= $buf;
        }
        $buffer{$n} //= '';
        while ($buffer{$n} =~ s/\A(.*)\n//) {
            $results++;
            say "parent: $1";
        }
    }
    finish_if_done($loop);
});

for my $n (1 .. $workers) {
    pipe(my $r, my $w) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {    # worker
        close $r;
        $w->autoflush(1);
        for my $job (1 .. $jobs) {
            select(undef, undef, undef, 0.01 * $n);    # "work"
            my $sum = 0;
            $sum += $_ * $_ for 1 .. 1000 * $job;
            print {$w} "worker $n (pid $$) job $job: sum of squares to ", 1000 * $job, " = $sum\n";
            $waker->signal;                            # announce it
        }
        close $w;
        $waker->signal;    # wake the parent to see the end of file
        POSIX::_exit(0);
    }
    close $w;
    fcntl($r, F_SETFL, fcntl($r, F_GETFL, 0) | O_NONBLOCK) or die "fcntl: $!";
    $pipe{$n} = $r;
    $loop->pid($pid, sub ($loop, $pid, $status, $data) {
        $exited++;
        say "parent: worker $data (pid $pid) exited with code ", WEXITSTATUS($status)
            if WIFEXITED($status);
        finish_if_done($loop);
    }, data => $n);
}

$loop->after(10, sub ($loop) { die "fork_workers: timed out\n" });    # watchdog
$loop->run;
say "fork workers done: $results results from $workers workers; "
    . "$signals signals arrived in $wakeups wakeups";
exit($results == $workers * $jobs ? 0 : 1);
