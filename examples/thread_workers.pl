#!/usr/bin/env perl
# Worker ithreads push jobs on a Thread::Queue and signal the loop's waker;
# the loop drains the queue from on_wakeup, and stops when every job is done.
#
# The workers start only once the loop is running (a zero-delay timer opens
# the gate), and each job takes a little work, so the latency printed is the
# time from a worker queueing a job and signalling to the callback that picks
# it up: the loop's wakeup latency (plus Thread::Queue's locking), not time
# spent waiting for `run` to begin.
use v5.36;
use Config;
BEGIN {
    die "thread_workers.pl needs a perl built with ithreads, and this one is not:"
        . " examples/fork_workers.pl shows the same with processes\n"
        unless $Config{useithreads};
}
use threads;
use Thread::Queue;
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use FindBin;
use lib "$FindBin::Bin/../lib";
use Linux::Event;

my $workers = 4;
my $jobs    = $ARGV[0] // 2_000;    # per worker

my $loop  = Linux::Event->new;
my $waker = $loop->waker;           # create it before the threads: they get a clone
my $queue = Thread::Queue->new;
my $gate  = Thread::Queue->new;     # one token per worker: start

my ($done, $wakeups, $signals, @latency) = (0, 0, 0);
$waker->on_wakeup(sub ($loop, $count) {
    $wakeups++;
    $signals += $count;
    while (defined(my $job = $queue->dequeue_nb)) {
        my ($worker, $n, $sent) = @$job;
        push @latency, clock_gettime(CLOCK_MONOTONIC) - $sent;
        $done++;
    }
    $loop->stop if $done == $workers * $jobs;
});

my @threads = map {
    my $id = $_;
    threads->create(sub {
        $gate->dequeue;
        for my $n (1 .. $jobs) {
            select undef, undef, undef, 0.0002;    # the job's work
            $queue->enqueue([$id, $n, clock_gettime(CLOCK_MONOTONIC)]);
            $waker->signal;
        }
    });
} 1 .. $workers;

my $t0;
$loop->after(0, sub ($loop) {
    $t0 = clock_gettime(CLOCK_MONOTONIC);
    $gate->enqueue((1) x $workers);
});
$loop->run;
my $elapsed = clock_gettime(CLOCK_MONOTONIC) - $t0;
$_->join for @threads;
$signals += $waker->drain;    # signals sent after the last job was picked up

@latency = sort { $a <=> $b } @latency;
printf "processed %d jobs from %d threads in %.3f s\n", $done, $workers, $elapsed;
printf "%d signals, coalesced by the eventfd into %d wakeups\n", $signals, $wakeups;
printf "queue-to-callback latency: median %.1f us, p99 %.1f us\n",
    1e6 * $latency[@latency / 2], 1e6 * $latency[int(@latency * 0.99)];
