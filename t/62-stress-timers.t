#!perl
# Load, nothing lost: 1 000 000 timers scheduled, half of them cancelled, then
# one run: every live timer fires exactly once, in deadline order (equal
# deadlines in the order scheduled); no cancelled one fires. Peak RSS is
# reported.
use v5.36;
use Test::More;

BEGIN { alarm 150 }

use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now status_kb);

my $N       = 1_000_000;
my $BUCKETS = 1000;        # distinct deadlines; 1 000 timers share each
my $STEP    = 0.0005;      # seconds between deadlines: 0.5 s of timers

# Every timer gets its own closure, so the order of firing can be checked.
# The closures are made in many packages: perl keeps a back-reference from
# a package to each anonymous sub compiled in it and removes it with a
# linear search, so freeing 1 000 000 closures of one package is quadratic
# (a perl cost, not the loop's).
our @FIRED;
my @make = map {
    eval "package Stress::T$_; sub (\$k) { sub { push \@main::FIRED, \$k } }" or die $@;
} 1 .. 4000;

my $rss0 = status_kb('VmRSS');
my $loop = Linux::Event->new;
my $t0   = now();
my $base = $t0 + 2.5;    # after the scheduling: the run waits for each deadline
my @id;
$#id = $N - 1;
for my $k (0 .. $N - 1) {
    # Deadlines interleave: timer $k fires in bucket $k % $BUCKETS.
    $id[$k] = $loop->at($base + ($k % $BUCKETS) * $STEP, $make[ $k % @make ]->($k));
}
my $t_sched = now() - $t0;
my %seen;
my $dup_ids = grep { $seen{$_}++ } @id;
is $dup_ids, 0, "$N distinct timer ids";
undef %seen;

$t0 = now();
my $cancelled = 0;
for (my $k = 1; $k < $N; $k += 2) { $cancelled++ if $loop->cancel($id[$k]) }
my $t_cancel = now() - $t0;
is $cancelled, $N / 2, 'cancel returned true for each of the 500 000 odd timers';
my $again = 0;
for (my $k = 1; $k < 2000; $k += 2) { $again++ if $loop->cancel($id[$k]) }
is $again, 0, 'cancelling them again returns false';

my $peak_sched = status_kb('VmHWM');

# The run ends with a timer behind every other one.
my $t_end;
$loop->at($base + $BUCKETS * $STEP + 0.05, sub ($l) { $t_end = now(); $l->stop });
$t0 = now();
$loop->run;
my $t_run = now() - $t0;

is scalar(@FIRED), $N / 2, 'exactly the 500 000 live timers fired';

# Expected order: by bucket, then by $k (scheduling order), even $k only.
my ($pos, $wrong, $first_wrong) = (0, 0, undef);
for my $b (0 .. $BUCKETS - 1) {
    for (my $k = $b; $k < $N; $k += $BUCKETS) {
        next if $k % 2;
        my $got = $FIRED[ $pos++ ];
        if (!defined $got || $got != $k) {
            $wrong++;
            $first_wrong //= "position $pos: expected $k, got " . ($got // 'nothing');
        }
    }
}
is $wrong, 0, 'every live timer fired once, in deadline order, ties in scheduling order'
    or diag "first difference at $first_wrong";
cmp_ok $t_end - $base, '>=', $BUCKETS * $STEP, 'the run lasted at least until the last deadline';

my $peak = status_kb('VmHWM');
diag sprintf '%d timers: scheduled in %.2f s, %d cancelled in %.2f s, %d fired in a %.2f s run',
    $N, $t_sched, $cancelled, $t_cancel, scalar @FIRED, $t_run;
diag sprintf 'RSS before %.1f MB; peak RSS after scheduling %.1f MB, at the end %.1f MB',
    $rss0 / 1024, $peak_sched / 1024, $peak / 1024;

# Nothing is left pending, and the loop still works.
@FIRED = ();
is $loop->run_once(0), 0, 'nothing left to dispatch';
my $fired = 0;
$loop->after(0.01, sub { $fired++ });
$loop->run_once(1) until $fired || now() - $t0 > 200;
is $fired, 1, 'a new timer fires afterwards';

done_testing;
