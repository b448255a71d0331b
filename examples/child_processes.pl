#!/usr/bin/env perl
# Child processes through the loop (pidfd): fork children that exit with
# different codes and one that is killed, get each exit with its raw wait
# status (the loop reaps them: reap => 1, the default), and watch one more
# with reap => 0, reaping it ourselves.
use v5.36;
use POSIX qw(WIFEXITED WEXITSTATUS WIFSIGNALED WTERMSIG);
use FindBin;
use lib "$FindBin::Bin/../lib";
use Linux::Event;

my $loop = Linux::Event->new;
my $left = 0;

sub spawn ($code) {
    my $pid = fork // die "fork: $!";
    if (!$pid) { $code->(); POSIX::_exit(0) }
    return $pid;
}

sub describe ($status) {
    return "exited with code " . WEXITSTATUS($status) if WIFEXITED($status);
    return "was killed by signal " . WTERMSIG($status) if WIFSIGNALED($status);
    return "status $status";
}

# Children that exit by themselves, with exit codes 0, 3 and 7.
for my $code (0, 3, 7) {
    my $pid = spawn(sub { select(undef, undef, undef, 0.05 * $code); POSIX::_exit($code) });
    $left++;
    $loop->pid($pid, sub ($loop, $pid, $status, $data) {
        say "child $pid ($data) ", describe($status);
        $loop->stop unless --$left;
    }, data => "expected to exit with $code");
}

# A child that would sleep for a minute: we kill it with SIGTERM.
my $sleeper = spawn(sub { sleep 60 });
$left++;
my $sub = $loop->pid($sleeper, sub ($loop, $pid, $status, $data) {
    say "child $pid ($data) ", describe($status);
    $loop->stop unless --$left;
}, data => 'the sleeper');
$loop->after(0.1, sub ($loop) { say "killing child $sleeper with SIGTERM"; kill TERM => $sleeper });

# reap => 0: the loop only reports the exit ($status is undef); we reap.
my $other = spawn(sub { POSIX::_exit(5) });
$left++;
$loop->pid($other, sub ($loop, $pid, $status, $data) {
    waitpid($pid, 0) == $pid or die "waitpid: $!";
    say "child $pid ($data) exited; status passed: ", $status // 'undef',
        '; we reaped it: ', describe($?);
    $loop->stop unless --$left;
}, data => 'reap => 0', reap => 0);

$loop->after(10, sub ($loop) { die "child_processes: timed out\n" });    # watchdog
$loop->run;
say 'the subscription cancelled itself after its callback: is_active = ', $sub->is_active;
say "children done: $left left";
exit($left ? 1 : 0);
