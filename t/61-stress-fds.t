#!perl
# Load, nothing lost: 10 000 descriptors watched at once, each made readable;
# every read callback fires exactly once per readiness.  Both ends of 5 000
# socketpairs are watched (10 000 fds in all), each end made readable by a
# write into its peer.
use v5.36;
use Test::More;

BEGIN { alarm 120 }

use POSIX ();
use IO::Handle;
use Socket qw(AF_UNIX SOCK_STREAM PF_UNSPEC);
use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now fd_count status_kb);

my $WANT = 10_000;
my $NEED = $WANT + 64;    # every fd is watched; plus headroom

# The fd limit: raise it by re-running under `ulimit -n` if it is too low
# (BSD::Resource is not core), once.
my $limit = POSIX::sysconf(POSIX::_SC_OPEN_MAX()) // 1024;
if ($limit < $NEED && !$ENV{LE_TEST_FD_REEXEC}) {
    $ENV{LE_TEST_FD_REEXEC} = 1;
    my @inc = map { "-I$_" } grep { !ref } @INC;
    { exec 'sh', '-c', 'ulimit -n 30000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"',
        'sh', $^X, @inc, $0, @ARGV };
    diag "could not re-exec under a higher ulimit -n: $!";
}
my $N = $WANT;
if ($limit < $NEED) {
    $N = 2 * int(($limit - 64) / 2);
    diag "fd limit is $limit (soft, could not be raised to $NEED): using $N watched fds instead of $WANT";
}
diag "fd limit $limit; watching $N fds at once";

my $fds0 = fd_count();
my $loop = Linux::Event->new;

# $rd[$i] is made readable by writing into its peer, $rd[$i ^ 1].
my @rd;
my $t0 = now();
for my $i (0 .. $N / 2 - 1) {
    socketpair(my $x, my $y, AF_UNIX, SOCK_STREAM, PF_UNSPEC) or die "socketpair #$i: $!";
    $x->blocking(0);
    $y->blocking(0);
    push @rd, $x, $y;
}
sub peer ($i) { $rd[ $i ^ 1 ] }

my @count = (0) x $N;    # read callbacks per watcher
my @bytes = (0) x $N;
my @eof   = (0) x $N;
my $total = 0;
my $bad_args = 0;
my $reader = sub ($l, $fh, $w, @extra) {
    $bad_args++ unless !@extra && $l == $loop && $fh == $rd[ $w->data ];
    my $i = $w->data;
    $count[$i]++;
    $total++;
    my $n = sysread($fh, my $buf, 64);
    if (defined $n && $n == 0) {
        $eof[$i]++;
        $w->cancel;    # a callback unwatching its own fd, 10 000 times over
        return;
    }
    $bytes[$i] += $n // 0;
};
my @watchers = map { $loop->watch($rd[$_], read => $reader, data => $_) } 0 .. $N - 1;
diag sprintf 'made %d socketpairs and watched all %d ends in %.2f s; %d fds open', $N / 2, $N, now() - $t0, fd_count();
is scalar(grep { $_->is_active } @watchers), $N, "$N watchers active";

sub pump_until ($cond, $max) {
    my $t = now();
    until ($cond->()) {
        return 0 if now() - $t > $max;
        $loop->run_once(1);
    }
    return 1;
}

sub settle () { $loop->run_once(0.05) for 1 .. 3 }

# Round 1: every fd readable once.
$t0 = now();
syswrite(peer($_), 'a') == 1 or die "write: $!" for 0 .. $N - 1;
ok pump_until(sub { $total >= $N }, 30), "round 1: $N callbacks arrived";
settle();
my $dt = now() - $t0;
is $total, $N, 'round 1: no extra callbacks after the data was read';
is scalar(grep { $_ != 1 } @count), 0, 'round 1: every read callback fired exactly once';
is scalar(grep { $_ != 1 } @bytes), 0, 'round 1: every watcher read its own byte';
diag sprintf 'round 1: %d readiness events dispatched in %.2f s', $N, $dt;

# Round 2: only the odd ones.
$t0 = now();
my @odd = grep { $_ % 2 } 0 .. $N - 1;
syswrite(peer($_), 'b') == 1 or die "write: $!" for @odd;
ok pump_until(sub { $total >= $N + @odd }, 30), 'round 2: callbacks arrived';
settle();
is $total, $N + @odd, 'round 2: exactly one more callback per odd fd';
is scalar(grep { $count[$_] != 1 + ($_ % 2) } 0 .. $N - 1), 0,
    'round 2: odd fds fired twice in total, even fds still once';
diag sprintf 'round 2: %d events in %.2f s', scalar @odd, now() - $t0;

# Round 3: hang-up counts as readable; each callback sees EOF once and cancels
# its own watcher.
$t0 = now();
shutdown($_, 1) or die "shutdown: $!" for @rd;
ok pump_until(sub { $total >= 2 * $N + @odd }, 30), 'round 3: EOF callbacks arrived';
settle();
is scalar(grep { $_ != 1 } @eof), 0, 'round 3: every watcher saw EOF exactly once';
is scalar(grep { $_->is_active } @watchers), 0, 'every watcher cancelled itself';
is $total, 2 * $N + @odd, 'no callback after a watcher cancelled itself';
is $bad_args, 0, 'every callback got ($loop, its own $fh, its watcher)';
diag sprintf 'round 3: %d EOFs + self-cancels in %.2f s', $N, now() - $t0;

# The loop still works.
my $fired = 0;
$loop->after(0.01, sub { $fired++ });
pump_until(sub { $fired }, 5);
is $fired, 1, 'a timer still fires afterwards';

close $_ for @rd;
@rd = ();
@watchers = ();
undef $loop;
undef $reader;
is fd_count(), $fds0, "fd count back to where it started ($fds0)";
diag sprintf 'peak RSS %.1f MB', status_kb('VmHWM') / 1024;

done_testing;
