#!/usr/bin/env perl
# Every examples/*.pl runs to completion within a timeout, exits with status
# 0 and prints what it is expected to print.
use v5.36;
use Test::More;
use Config;
use POSIX ();
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(run_with_timeout have_pidfd);

alarm 300;    # watchdog for the whole test

my $TIMEOUT = 30;    # seconds for one example

# example => [arguments, patterns its output must match]
my %EXPECT = (
    'timers.pl' => [[], [
        qr/^cancel\(\$id\) removed a pending timer: yes$/m,
        qr/^cancel\(\$id\) again: +no$/m,
        qr/first of two\n.*second of two/s,
        qr/^timers done after 5 ticks/m,
    ]],
    'echo_server.pl' => [[3], [
        qr/^server: listening on 127\.0\.0\.1:\d+$/m,
        qr/^client: got back message 3$/m,
        qr/^server: client closed/m,
        qr/^echo done: 3 of 3 messages echoed, 0 connections left open$/m,
    ]],
    'oneshot_edge_reader.pl' => [[], [
        qr/^watching the pipe: oneshot=1 edge_triggered=1$/m,
        qr/^delivery \d+: drained \d+ bytes in \d+ reads, then end of file$/m,
        qr/^read (\d+) of \1 bytes in \d+ deliveries$/m,
    ]],
    'signals.pl' => [[], [
        qr/^got SIGRTMIN\+1 \(signal \d+\), count 3$/m,
        qr/^cancel: removed; active now: 0$/m,
        qr/^signals done: USR1 x 2, USR2 x 2, RTMIN\+1 x 3$/m,
    ]],
    'child_processes.pl' => [[], [
        qr/\(expected to exit with 0\) exited with code 0$/m,
        qr/\(expected to exit with 3\) exited with code 3$/m,
        qr/\(expected to exit with 7\) exited with code 7$/m,
        qr/\(the sleeper\) was killed by signal ${\ POSIX::SIGTERM() }$/m,
        qr/\(reap => 0\) exited; status passed: undef; we reaped it: exited with code 5$/m,
        qr/^children done: 0 left$/m,
    ]],
    'fork_workers.pl' => [[], [
        qr/^parent: worker 3 \(pid \d+\) job 4: sum of squares to 4000 = 21341334000$/m,
        qr/^parent: worker 2 \(pid \d+\) exited with code 0$/m,
        qr/^fork workers done: 12 results from 3 workers; \d+ signals arrived in \d+ wakeups$/m,
    ]],
    'stop_from_sig.pl' => [[], [
        qr/^SIGINT handler: stopping the loop$/m,
        qr/^run returned after [0-4]\.\d\d s; SIGINT caught 1 time\(s\)$/m,
    ]],
    'thread_workers.pl' => [[200], [
        qr/^processed 800 jobs from 4 threads in [\d.]+ s$/m,
        qr/^800 signals, coalesced by the eventfd into \d+ wakeups$/m,
        qr/^queue-to-callback latency: median [\d.]+ us, p99 [\d.]+ us$/m,
    ]],
);

my @examples = sort glob 'examples/*.pl';
ok(scalar @examples, 'found examples/') or BAIL_OUT('run this test from the top of the checkout');

# -I for every blib directory this test itself was given (make test); the
# examples add lib/ themselves.
my @inc = map { "-I$_" } grep { !ref && /blib/ } @INC;

for my $path (@examples) {
    my ($name) = $path =~ m{([^/]+)\z};
    my $expect = $EXPECT{$name};
    ok($expect, "$name: the test knows what it should print") or next;
    SKIP: {
        skip "$name needs a perl with ithreads", 3
            if $name =~ /thread/ && !$Config{useithreads};
        skip "$name watches processes, and pidfd_open(2) is not available here", 3
            if do { open my $fh, '<', $path or die "$path: $!"; local $/; <$fh> =~ /->pid\(/ } && !have_pidfd();
        my ($args, $patterns) = @$expect;
        my ($status, $timed_out, $output) = run_with_timeout([$^X, @inc, $path, @$args],
            timeout => $TIMEOUT, stdin => '/dev/null');
        ok(!$timed_out, "$name: finishes within $TIMEOUT s");
        is($status, 0, "$name: exits with status 0") or diag($output);
        my @missing = grep { $output !~ $_ } @$patterns;
        ok(!@missing, "$name: prints what it should")
            or diag("missing: @missing\noutput:\n$output");
    }
}

ok(!grep({ !-e "examples/$_" } sort keys %EXPECT), 'every expected example exists')
    or diag('missing: ' . join ', ', grep { !-e "examples/$_" } sort keys %EXPECT);

done_testing;
