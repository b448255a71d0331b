use v5.36;
BEGIN { alarm 60 }
use Test::More;
use Linux::Event;

# Arguments with get-magic (tied scalars) are fetched once, before the
# engine holds anything; a FETCH that dies propagates like any die.

package Tied::Value { sub TIESCALAR ($c, $v) { bless \$v, $c } sub FETCH ($s) { $$s } }
package Tied::Dies  { sub TIESCALAR ($c) { bless {}, $c } sub FETCH ($s) { die "FETCH died\n" } }

my $loop = Linux::Event->new;

tie my $delay, 'Tied::Value', 0.01;
my $fired = 0;
$loop->after($delay, sub ($l) { $fired++ });
$loop->run_once(1);
is $fired, 1, 'a tied delay is read through its FETCH';

pipe(my $r, my $w) or die "pipe: $!";
my $watcher = $loop->watch($r, read => sub { });
tie my $data, 'Tied::Value', 'from FETCH';
$watcher->data($data);
is $watcher->data, 'from FETCH', 'data($tied) stores the fetched value';

tie my $n, 'Tied::Value', 3;
my $waker = $loop->waker;
$waker->signal($n);
is $waker->drain, 3, 'signal($tied) signals the fetched count';

tie my $bad, 'Tied::Dies';
for my $call (
    [ after   => sub { $loop->after($bad, sub { }) } ],
    [ cancel  => sub { $loop->cancel($bad) } ],
    [ signal  => sub { $waker->signal($bad) } ],
    [ data    => sub { $watcher->data($bad) } ],
    [ oneshot => sub { $watcher->oneshot($bad) } ],
) {
    my ($name, $code) = @$call;
    ok !eval { $code->(); 1 }, "$name: a dying FETCH makes the call die";
    is $@, "FETCH died\n", "$name: ... with FETCH's exception, unchanged";
}

my $later = 0;
$loop->after(0, sub ($l) { $later++ });
$loop->run_once(1);
is $later, 1, 'the loop still runs afterwards';
is $watcher->is_active, 1, 'and the watcher is still there';

done_testing;
