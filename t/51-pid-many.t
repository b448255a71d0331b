use v5.36;
use Test::More;
use POSIX qw(WNOHANG WIFEXITED WEXITSTATUS);
use Scalar::Util qw(refaddr);

# Watchdog: a hang is a failure, never a pass.
BEGIN { alarm 120 }

use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now have_pidfd);
plan skip_all => 'pidfd_open(2) is not available here (Linux 5.3; or a sandbox forbids it)'
    unless have_pidfd();

my $N = 50;
my $loop = Linux::Event->new;

# All children wait on one pipe; closing the write end releases them all at
# the same moment, and each exits with its own code.
pipe(my $r, my $w) or die "pipe: $!";
my (%code_of, @order);
for my $i (1 .. $N) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $w;
        sysread $r, my $buf, 1;
        POSIX::_exit($i);
    }
    $code_of{$pid} = $i;
    push @order, $pid;
}
close $r;
is scalar(keys %code_of), $N, "$N children forked";

my (%calls, @bad_args);
for my $pid (@order) {
    $loop->pid($pid, sub {
        my ($l, $p, $status, $data) = @_;
        push @bad_args, "pid $pid: " . scalar(@_) . " args" if @_ != 4;
        push @bad_args, "pid $pid: loop arg" if refaddr($l) != refaddr($loop);
        push @bad_args, "pid $pid: data $data" if ($data // '') ne "d$pid";
        push @{ $calls{$p} }, $status;
    }, data => "d$pid");
}

# Make sure all children are blocked in read before releasing them, so that
# they really exit together.
{
    my $t0 = now();
    my $all;
    until ($all || now() - $t0 > 20) {
        $all = 1;
        for my $pid (@order) {
            open my $fh, '<', "/proc/$pid/stat" or do { $all = 0; last };
            my $st = <$fh>;
            if (!($st =~ /\)\s+S\b/)) { $all = 0; last }
        }
        select undef, undef, undef, 0.02 unless $all;
    }
    ok $all, 'all children are waiting';
}

close $w;    # release them all at once

my $deadline = now() + 30;
while (keys(%calls) < $N && now() < $deadline) {
    $loop->run_once(0.2);
}
# a little longer, to catch duplicates
my $extra_until = now() + 0.5;
$loop->run_once(0.05) while now() < $extra_until;

is scalar(keys %calls), $N, "all $N children reported";
is_deeply [sort { $a <=> $b } keys %calls], [sort { $a <=> $b } @order], 'exactly our children are reported';
my @dups = grep { @{ $calls{$_} } != 1 } keys %calls;
is scalar(@dups), 0, 'each child reported exactly once' or diag "reported more than once: @dups";
my @wrong = grep {
    my $st = $calls{$_}[0];
    !defined $st || !WIFEXITED($st) || WEXITSTATUS($st) != $code_of{$_}
} keys %calls;
is scalar(@wrong), 0, 'each child has its own exit status'
    or diag join ', ', map { "$_ => " . ($calls{$_}[0] // 'undef') . " (want exit $code_of{$_})" } @wrong;
is_deeply \@bad_args, [], 'callback ABI ($loop, $pid, $status, $data) for every child';

my @unreaped = grep { waitpid($_, WNOHANG) != -1 } @order;
is scalar(@unreaped), 0, 'every child was reaped by the loop' or diag "not reaped: @unreaped";
is waitpid(-1, WNOHANG), -1, 'no child left at all';

# The loop is idle and usable afterwards.
{
    my $fired = 0;
    $loop->after(0, sub { $fired++ });
    $loop->run_once(1);
    is $fired, 1, 'loop still works after 50 child exits';
}

done_testing;
