#!perl
# An exception thrown in a timer, read, write or error callback comes out of
# run/run_once unchanged (same string with its " at FILE line N." part, same
# object), and the loop then runs again correctly.
# (No readline in this file: it would add ", <$fh> line N" to die messages.)
use v5.36;
BEGIN { alarm 120 }    # watchdog: a hang fails instead of blocking CI
use Test::More;
use IO::Handle;
use Scalar::Util qw(refaddr);
use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now new_pipe new_socketpair run_until);

$SIG{PIPE} = 'IGNORE';

my $FILE = __FILE__;

package My::Error {
    sub new ($class, %a) { bless {%a}, $class }
    sub what ($self) { $self->{what} }
}

# Run $code (which runs the loop) and return ($died, $error).
sub run_catching ($code) {
    my $ok = eval { $code->(); 1 };
    return ($ok ? 0 : 1, $@);
}

# The loop is healthy: a timer fires and a fresh watcher works.
sub loop_still_works ($loop, $name) {
    my $fired = 0;
    $loop->after(0.01, sub ($l) { $fired++ });
    run_until($loop, sub { $fired });
    is($fired, 1, "$name: a new timer fires afterwards");
    my ($x, $y) = new_socketpair();
    my $got = '';
    $loop->watch($x, read => sub ($l, $fh, $wt) { sysread($fh, my $buf, 100); $got .= $buf });
    syswrite($y, 'alive');
    run_until($loop, sub { length $got });
    is($got, 'alive', "$name: a new watcher works afterwards");
    $loop->unwatch($x);
}

subtest 'timer callback' => sub {
    my $loop = Linux::Event->new;
    my $line;
    $loop->after(0, sub ($l) { $line = __LINE__; die "timer boom" });
    my ($died, $err) = run_catching(sub { $loop->run_once(1) });
    ok($died, 'run_once died');
    is($err, "timer boom at $FILE line $line.\n", 'string exception unchanged, with its " at ... line" part');
    loop_still_works($loop, 'after a string from a timer');

    my $obj = My::Error->new(what => 'timer');
    $loop->after(0, sub ($l) { die $obj });
    ($died, $err) = run_catching(sub { $loop->run_once(1) });
    ok($died, 'run_once died with an object');
    is(ref($err), 'My::Error', 'same class');
    ok(ref($err) && refaddr($err) == refaddr($obj), 'the very same object');
    loop_still_works($loop, 'after an object from a timer');

    # From run() instead of run_once().
    $loop->after(0.01, sub ($l) { $line = __LINE__; die "in run" });
    ($died, $err) = run_catching(sub { $loop->run });
    ok($died, 'run died');
    is($err, "in run at $FILE line $line.\n", 'string exception out of run() unchanged');
    $loop->after(0.01, sub ($l) { die $obj });
    ($died, $err) = run_catching(sub { $loop->run });
    ok(ref($err) && refaddr($err) == refaddr($obj), 'object exception out of run() unchanged');
    my $stopped = 0;
    $loop->after(0.01, sub ($l) { $stopped++; $l->stop });
    ($died, $err) = run_catching(sub { $loop->run });
    ok(!$died, 'run() can be called again after an exception') or diag($err);
    is($stopped, 1, '... and runs until stop');
    loop_still_works($loop, 'after exceptions out of run()');
};

subtest 'timers due in the same cycle are not lost when one dies' => sub {
    my $loop = Linux::Event->new;
    my @log;
    my $t = now() - 1;
    $loop->at($t, sub ($l) { push @log, 'a'; die "first\n" });
    $loop->at($t, sub ($l) { push @log, 'b' });
    $loop->at($t, sub ($l) { push @log, 'c' });
    my ($died, $err) = run_catching(sub { $loop->run_once(0) });
    is($err, "first\n", 'exception from the first timer');
    is_deeply(\@log, ['a'], 'the others did not run in the dying cycle');
    run_until($loop, sub { @log >= 3 });
    $loop->run_once(0.05);
    is_deeply(\@log, [qw(a b c)], 'the others ran afterwards, once each, in order');
};

subtest 'read callback' => sub {
    my $loop = Linux::Event->new;
    my ($x, $y) = new_socketpair();
    syswrite($y, 'payload');
    my $line;
    my $wt = $loop->watch($x, read => sub ($l, $fh, $wt) { $line = __LINE__; die "read boom" });
    my ($died, $err) = run_catching(sub { $loop->run_once(1) });
    ok($died, 'run_once died');
    is($err, "read boom at $FILE line $line.\n", 'string exception unchanged');
    is($wt->is_active, 1, 'the watcher is still active');

    my $obj = My::Error->new(what => 'read');
    $wt->on_read(sub ($l, $fh, $wt) { die $obj });
    ($died, $err) = run_catching(sub { $loop->run_once(1) });
    ok(ref($err) && refaddr($err) == refaddr($obj), 'object exception unchanged');

    my $got = '';
    $wt->on_read(sub ($l, $fh, $wt) { sysread($fh, my $buf, 100); $got .= $buf });
    run_until($loop, sub { length $got });
    is($got, 'payload', 'the same watcher works afterwards, data intact');
    $wt->cancel;
    loop_still_works($loop, 'after exceptions from read');
};

subtest 'write callback' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    my $line;
    my $wt = $loop->watch($w, write => sub ($l, $fh, $wt) { $line = __LINE__; die "write boom" });
    my ($died, $err) = run_catching(sub { $loop->run_once(1) });
    ok($died, 'run_once died');
    is($err, "write boom at $FILE line $line.\n", 'string exception unchanged');

    my $obj = My::Error->new(what => 'write');
    $wt->on_write(sub ($l, $fh, $wt) { die $obj });
    ($died, $err) = run_catching(sub { $loop->run_once(1) });
    ok(ref($err) && refaddr($err) == refaddr($obj), 'object exception unchanged');

    my $wrote = 0;
    $wt->on_write(sub ($l, $fh, $wt) { $wrote++; syswrite($fh, 'ok'); $wt->disable_write });
    run_until($loop, sub { $wrote });
    is($wrote, 1, 'the same watcher works afterwards');
    sysread($r, my $buf, 100);
    is($buf, 'ok', 'data written');
    $wt->cancel;
    loop_still_works($loop, 'after exceptions from write');
};

subtest 'error callback' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    close($r);    # error condition on the write end
    my $line;
    my $wt = $loop->watch($w, error => sub ($l, $fh, $wt) { $line = __LINE__; die "error boom" });
    my ($died, $err) = run_catching(sub { $loop->run_once(1) });
    ok($died, 'run_once died');
    is($err, "error boom at $FILE line $line.\n", 'string exception unchanged');

    my $obj = My::Error->new(what => 'error');
    $wt->on_error(sub ($l, $fh, $wt) { die $obj });
    ($died, $err) = run_catching(sub { $loop->run_once(1) });
    ok(ref($err) && refaddr($err) == refaddr($obj), 'object exception unchanged');
    is($err->what, 'error', 'object intact') if ref $err;

    my $errors = 0;
    $wt->on_error(sub ($l, $fh, $wt) { $errors++; $wt->cancel });
    run_until($loop, sub { $errors });
    is($errors, 1, 'the same watcher works afterwards');
    loop_still_works($loop, 'after exceptions from error');
};

subtest 'ready I/O events of the dying cycle are not lost (edge-triggered)' => sub {
    my $loop = Linux::Event->new;
    my (%fired, @keep);
    my $died_once = 0;
    for my $k (qw(a b c)) {
        my ($x, $y) = new_socketpair();
        push @keep, $x, $y;
        syswrite($y, "data-$k");
        $loop->watch($x, edge_triggered => 1, read => sub ($l, $fh, $wt) {
            $fired{$k}++;
            die "io boom\n" unless $died_once++;
        });
    }
    my ($died, $err) = run_catching(sub { $loop->run_once(1) });
    is($err, "io boom\n", 'first read callback died');
    $loop->run_once(0.2);
    $loop->run_once(0.05);
    is_deeply(\%fired, { a => 1, b => 1, c => 1 },
        'every ready watcher got its (single, edge-triggered) event exactly once');
};

subtest 'exception caught inside a callback does not disturb the loop' => sub {
    my $loop = Linux::Event->new;
    my ($inner, $after) = ('', 0);
    $loop->after(0, sub ($l) { eval { die "inner\n" }; $inner = $@ });
    $loop->after(0, sub ($l) { $after++ });
    my ($died, $err) = run_catching(sub { run_until($loop, sub { $after }) });
    ok(!$died, 'nothing propagated') or diag($err);
    is($inner, "inner\n", 'the callback saw its own exception');
    is($after, 1, 'the next timer ran');
};

done_testing;
