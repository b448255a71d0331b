#!perl
# Timers at scale: 100 000 timers with random deadlines, half of them
# cancelled, fire exactly once each in deadline order (FIFO among equal
# deadlines); cancelled ones never fire; cancel does not leak memory.
use v5.36;
BEGIN { alarm 300 }    # watchdog: a hang fails instead of blocking CI
use Test::More;
use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now rss_kb);


package Guard {
    sub new ($class, $counter) { bless { c => $counter }, $class }
    sub DESTROY ($self) { ${ $self->{c} }++ }
}

my $seed = $ENV{LE_TEST_SEED} // time();
srand($seed);
diag("random seed $seed (set LE_TEST_SEED to repeat)");

subtest '100 000 timers, half cancelled, fire once each in deadline order' => sub {
    my $N    = 100_000;
    my $loop = Linux::Event->new;
    my (@deadline, @id, @fire_count, @order, @sched);
    my $early = 0;
    my $seq   = 0;    # scheduling order, for the FIFO check

    # Deadlines on a 1 ms grid over 0.3 s: many timers share a deadline, so
    # FIFO among equal deadlines is exercised too.
    my $base = now() + 0.1;
    for my $i (0 .. $N - 1) {
        my $d = $base + int(rand(300)) / 1000;
        $deadline[$i] = $d;
        $sched[$i]    = $seq++;
        $id[$i] = $loop->at($d, sub ($l) {
            push @order, $i;
            $fire_count[$i]++;
            $early++ if now() < $deadline[$i] - 0.002;
        });
    }
    my %ids;
    $ids{$_}++ for @id;
    is(scalar(keys %ids), $N, "$N distinct ids");

    # Cancel a random half.
    my @cancelled;
    my $bad_cancel = 0;
    for my $i (0 .. $N - 1) {
        next unless rand() < 0.5;
        $cancelled[$i] = 1;
        $bad_cancel++ unless $loop->cancel($id[$i]);
    }
    is($bad_cancel, 0, 'every cancel of a pending timer returned true');
    my $double = 0;
    for my $i (grep { $cancelled[$_] } 0 .. 999) {
        $double++ if $loop->cancel($id[$i]);
    }
    is($double, 0, 'cancelling an already cancelled timer returns false');

    # Some live timers cancel a later live timer from inside their callback.
    my @live = grep { !$cancelled[$_] } 0 .. $N - 1;
    my (%is_initiator, %is_partner, @pairs);
    for (1 .. 1000) {
        my $i = $live[rand @live];
        my $j = $live[rand @live];
        next if $is_initiator{$i} || $is_partner{$i} || $is_initiator{$j} || $is_partner{$j};
        next unless $deadline[$j] > $deadline[$i] + 0.01;
        $is_initiator{$i} = 1;
        $is_partner{$j}   = 1;
        push @pairs, [$i, $j];
    }
    my $bad_inner_cancel = 0;
    for my $p (@pairs) {
        my ($i, $j) = @$p;
        my $d = $deadline[$i];
        # Replace i by a timer at the same deadline that also cancels j.
        $loop->cancel($id[$i]) or die "cancel failed";
        $sched[$i] = $seq++;
        $id[$i] = $loop->at($d, sub ($l) {
            push @order, $i;
            $fire_count[$i]++;
            $early++ if now() < $deadline[$i] - 0.002;
            $bad_inner_cancel++ unless $l->cancel($id[$j]);
            $cancelled[$j] = 1;
        });
    }
    diag(scalar(@pairs) . " timers cancel a later timer from their callback");

    my $stop_id = $loop->at($base + 1.0, sub ($l) { $l->stop });
    my $t0 = now();
    $loop->run;
    my $elapsed = now() - $t0;

    my $expected_live = grep { !$cancelled[$_] } 0 .. $N - 1;
    is(scalar(@order), $expected_live, 'number of fired timers == number of live timers');
    my $fired_cancelled = grep { $cancelled[$_] && $fire_count[$_] } 0 .. $N - 1;
    is($fired_cancelled, 0, 'no cancelled timer fired');
    my $not_fired = grep { !$cancelled[$_] && !$fire_count[$_] } 0 .. $N - 1;
    is($not_fired, 0, 'every live timer fired');
    my $multi = grep { ($fire_count[$_] // 0) > 1 } 0 .. $N - 1;
    is($multi, 0, 'no timer fired more than once');
    is($bad_inner_cancel, 0, 'cancel from a callback of a later pending timer returned true');
    is($early, 0, 'no timer fired before its deadline');

    my ($violations, $first_bad) = (0, undef);
    for my $k (1 .. $#order) {
        my ($p, $q) = @order[$k - 1, $k];
        my $ok = $deadline[$p] < $deadline[$q]
            || ($deadline[$p] == $deadline[$q] && $sched[$p] < $sched[$q]);
        next if $ok;
        $violations++;
        $first_bad //= "position $k: timer $p (deadline $deadline[$p]) before timer $q (deadline $deadline[$q])";
    }
    is($violations, 0, 'fired in deadline order, equal deadlines in scheduling order')
        or diag($first_bad);
    cmp_ok($elapsed, '<', 30, "run took ${\ sprintf '%.2f', $elapsed } s");

    my $fired_true = 0;
    for my $i (@order[0 .. 999]) {
        $fired_true++ if $loop->cancel($id[$i]);
    }
    is($fired_true, 0, 'cancel of fired timers returns false');
    ok(!$loop->cancel($stop_id), 'the stop timer has fired');
};

subtest 'callbacks are released on cancel, on firing, and with the loop' => sub {
    my $loop = Linux::Event->new;

    my $d1 = 0;
    {
        my $g  = Guard->new(\$d1);
        my $id = $loop->after(100, sub ($l) { $g });
        is($d1, 0, 'pending timer keeps its callback');
        $loop->cancel($id);
    }
    is($d1, 1, 'cancel released the callback (and what it captured)');

    my $d2 = 0;
    {
        my $g = Guard->new(\$d2);
        $loop->after(0, sub ($l) { $g });
    }
    is($d2, 0, 'pending timer keeps its callback alive');
    $loop->run_once(1);
    is($d2, 1, 'a fired timer released its callback');

    my $d3 = 0;
    {
        my $l2 = Linux::Event->new;
        my $g  = Guard->new(\$d3);
        $l2->after(100, sub ($l) { $g });
    }
    is($d3, 1, 'destroying the loop released pending timer callbacks');
};

subtest 'schedule + cancel does not grow memory' => sub {
    my $loop = Linux::Event->new;
    # One live timer throughout, earlier than all the cancelled ones: cancelled
    # entries never reach the top of a heap, so lazy deletion alone would grow.
    my $keep = $loop->after(500, sub ($l) { });
    my $bad  = 0;
    my $x    = 0;
    # Warm up allocator and any internal tables.
    for my $i (1 .. 50_000) {
        my $id = $loop->after(1000 + rand(1000), sub ($l) { $x += $i });
        $loop->cancel($id) or $bad++;
    }
    $loop->run_once(0);
    my $before = rss_kb();
    my $M = 1_000_000;
    for my $i (1 .. $M) {
        my $id = $loop->after(1000 + rand(1000), sub ($l) { $x += $i });
        $loop->cancel($id) or $bad++;
        $loop->run_once(0) unless $i % 10_000;
    }
    $loop->run_once(0);
    my $after = rss_kb();
    is($bad, 0, 'every cancel returned true');
    my $growth = $after - $before;
    diag("VmRSS before $before kB, after $after kB, growth $growth kB over $M schedule+cancel");
    cmp_ok($growth, '<', 20 * 1024, 'RSS grew less than 20 MB');

    ok($loop->cancel($keep), 'the long-lived timer is still pending');
    my $fired = 0;
    $loop->after(0.01, sub ($l) { $fired++ });
    $loop->run_once(1);
    is($fired, 1, 'loop still fires timers afterwards');
};

done_testing;
