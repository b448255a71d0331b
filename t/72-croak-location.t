#!perl
# Where a croak points.  Every public method's bad input croaks with a
# message that names the method, ending exactly " at FILE line N.\n" (the
# short form of Carp::croak), N being:
#   - the line of the call, when user code calls the method;
#   - the line inside a wrapper sub of another package that makes the call
#     (that package is the caller, as Carp sees it);
#   - the line that calls a user's subclass method which calls the parent's
#     (Carp trusts a subclass as it trusts the class itself).
# That holds whether the check is in the Perl half of a method or in the
# engine (the croaks of the engine are placed by csrc/shim.c, the others by
# Carp).  A die of user code is never rewritten.  The loop works afterwards.
use v5.36;
use Test::More;

BEGIN { alarm 60 }

use POSIX ();
use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(have_pidfd run_until);

my $FILE = __FILE__;

# A user's wrapper, in a package of its own: the croak points here.
package My::Wrap {
    our $LINE = __LINE__ + 1;
    sub call ($obj, $method, @args) { return $obj->$method(@args) }
}
my $WRAP_LINE = $My::Wrap::LINE;

# A user's subclass of the loop, whose method calls the parent's.
package My::Loop {
    our @ISA = ('Linux::Event::Loop');
    sub via_super ($self, $method, @args) {
        my $super = "SUPER::$method";
        return $self->$super(@args);
    }
}

my $loop   = Linux::Event->new;
my $myloop = My::Loop->new;
my $waker  = $loop->waker;
pipe(my $r, my $w) or die "pipe: $!";
my $watcher = $loop->watch($r, read => sub { });
my $sigsub  = $loop->signal('USR2', sub { });
my $clock   = $loop->clock;
my $signals = Linux::Event::Signal->new(loop => $loop);
my $pids    = Linux::Event::Pid->new(loop => $loop);
my $cb      = sub { };

# [ what, object, method, [ args ] or sub ($obj) { args }, qr/message naming the method/ ]
# The loop's rows are also called on a subclass's loop, through its method.
my @LOOP = (
    [ 'new: unknown option (Perl)',   'Linux::Event::Loop', new => [ bogus => 1 ],         qr/^Linux::Event::Loop->new: unknown args: bogus/ ],
    [ 'new: unknown backend (Perl)',  'Linux::Event::Loop', new => [ backend => 'x' ],     qr/^Linux::Event::Loop->new: unknown backend 'x'/ ],
    [ 'run: extra argument',          $loop, run      => [1],                              qr/^Usage: \$loop->run\b/ ],
    [ 'run_once: negative timeout',   $loop, run_once => [-1],                             qr/^run_once timeout must not be negative/ ],
    [ 'stop: extra argument',         $loop, stop     => [1],                              qr/^Usage: \$loop->stop\b/ ],
    [ 'after: bad delay',             $loop, after    => [ 'soon', $cb ],                  qr/^after: delay must be a number of seconds, not 'soon'/ ],
    [ 'after: bad callback',          $loop, after    => [ 1, 'nope' ],                    qr/^after: callback must be a CODE reference, not 'nope'/ ],
    [ 'at: bad deadline',             $loop, at       => [ undef, $cb ],                   qr/^at: deadline must be a number of seconds, not undef/ ],
    [ 'cancel: a reference',          $loop, cancel   => [ [] ],                           qr/^cancel: timer id must be an id returned by after or at, not a reference/ ],
    [ 'watch: no descriptor (Perl)',  $loop, watch    => [ undef, read => $cb ],           qr/^watch: the handle has no file descriptor/ ],
    [ 'watch: unknown key (Perl)',    $loop, watch    => [ $r, reed => $cb ],              qr/^unknown watch args: reed/ ],
    [ 'watch: bad read (engine)',     $loop, watch    => [ $r, read => 'x' ],              qr/^watch: read must be a CODE reference or undef, not 'x'/ ],
    [ 'watch: bad error (engine)',    $loop, watch    => [ $r, error => {} ],              qr/^watch: error must be a CODE reference or undef, not a reference/ ],
    [ 'watch: the waker (engine)',    $loop, watch    => sub ($l) { ($l->waker->fh, read => $cb) }, qr/^watch: fd \d+ is reserved/ ],
    [ 'unwatch: extra argument',      $loop, unwatch  => [ $r, 1 ],                        qr/^Usage: \$loop->unwatch\b/ ],
    [ 'waker: extra argument',        $loop, waker    => [1],                              qr/^Usage: \$loop->waker\b/ ],
    [ 'clock: extra argument',        $loop, clock    => [1],                              qr/^Usage: \$loop->clock\b/ ],
    [ 'timer: not available',         $loop, timer    => [],                               qr/^Linux::Event::Loop->timer is not available/ ],
    [ 'signal: unknown name (Perl)',  $loop, signal   => [ 'FOO', $cb ],                   qr/^signal: unknown signal 'FOO'/ ],
    [ 'signal: a reference (Perl)',   $loop, signal   => [ {}, $cb ],                      qr/^signal: .*not a reference/ ],
    [ 'signal: 65 (engine)',          $loop, signal   => [ 65, $cb ],                      qr/^signal: unknown signal '65'/ ],
    [ 'signal: 0 (engine)',           $loop, signal   => [ '0', $cb ],                     qr/^signal: unknown signal '0'/ ],
    [ 'signal: KILL (engine)',        $loop, signal   => [ 'KILL', $cb ],                  qr/^signal: cannot handle signal 9\b/ ],
    [ 'signal: empty list (engine)',  $loop, signal   => [ [], $cb ],                      qr/^signal: empty signal list/ ],
    [ 'signal: bad callback (engine)', $loop, signal  => [ 'USR1', 'nope' ],               qr/^signal: callback must be a CODE reference, not 'nope'/ ],
    [ 'signal: unknown option (Perl)', $loop, signal  => [ 'USR1', $cb, dta => 1 ],        qr/^unknown signal args: dta/ ],
    [ 'pid: zero (engine)',           $loop, pid      => [ 0, $cb ],                       qr/^pid: process id must be a positive integer, not '0'/ ],
    [ 'pid: leading zero (engine)',   $loop, pid      => [ '007', $cb ],                   qr/^pid: process id must be a positive integer, not '007'/ ],
    [ 'pid: a reference (engine)',    $loop, pid      => [ [], $cb ],                      qr/^pid: process id must be a positive integer, not a reference/ ],
    [ 'pid: bad callback (engine)',   $loop, pid      => [ $$, 'nope' ],                   qr/^pid: callback must be a CODE reference, not 'nope'/ ],
    [ 'pid: unknown option (Perl)',   $loop, pid      => [ $$, $cb, reaper => 1 ],         qr/^unknown pid args: reaper/ ],
    (have_pidfd() ? [ 'pid: not our child (engine)', $loop, pid => [ 1, $cb ],             qr/^pid: process 1 is not a child of this process/ ] : ()),
);
my @OTHER = (
    [ 'watcher on_read: bad handler',  $watcher, on_read     => ['x'],                     qr/^on_read: handler must be a CODE reference or undef, not 'x'/ ],
    [ 'watcher enable_read: argument', $watcher, enable_read => [1],                       qr/^Usage: \$watcher->enable_read\b/ ],
    [ 'watcher data: two arguments',   $watcher, data        => [ 1, 2 ],                  qr/^Usage: \$watcher->data\b/ ],
    [ 'watcher oneshot: two arguments', $watcher, oneshot    => [ 1, 2 ],                  qr/^Usage: \$watcher->edge_triggered or ->oneshot\b/ ],
    [ 'watcher cancel: argument',      $watcher, cancel      => [1],                       qr/^Usage: \$watcher->cancel\b/ ],
    [ 'waker signal: zero',            $waker, signal        => [0],                       qr/signal count must be a positive integer, not '0'/ ],
    [ 'waker drain: argument',         $waker, drain         => [1],                       qr/^Usage: \$waker->drain\b/ ],
    [ 'waker fh: argument',            $waker, fh            => [1],                       qr/^Usage: \$waker->fh\b/ ],
    [ 'waker on_wakeup: bad handler',  $waker, on_wakeup     => ['x'],                     qr/^on_wakeup: handler must be a CODE reference or undef, not 'x'/ ],
    [ 'subscription cancel: argument', $sigsub, cancel       => [1],                       qr/^Usage: \$subscription->cancel\b/ ],
    [ 'clock deadline_after: a word',  $clock, deadline_after => ['x'],                    qr/^deadline_after: seconds must be a number, not 'x'/ ],
    [ 'Signal adaptor: bad callback',  $signals, signal      => [ 'USR1', 'nope' ],        qr/^signal: callback must be a CODE reference, not 'nope'/ ],
    [ 'Signal adaptor: unknown name',  $signals, signal      => [ 'FOO', $cb ],            qr/^signal: unknown signal 'FOO'/ ],
    [ 'Pid adaptor: zero',             $pids, pid            => [ 0, $cb ],                qr/^pid: process id must be a positive integer, not '0'/ ],
    [ 'Signal adaptor: new',           'Linux::Event::Signal', new => [ loop => 1 ],       qr/^Linux::Event::Signal->new: loop is required/ ],
);

# The croak in $@ names the problem and ends at $line of this file.
sub croaked_at ($err, $re, $line, $name) {
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    return fail("$name: croaks") unless defined $err && length $err;
    ok(!ref $err && $err =~ $re && $err =~ /\A[^\n]* at \Q$FILE\E line $line\.\n\z/,
        "$name: names the method, from line $line")
        or diag "got: $err";
}

sub args ($args, $obj) { return ref $args eq 'CODE' ? $args->($obj) : @$args }

for my $row (@LOOP, @OTHER) {
    my ($what, $obj, $method, $args, $re) = @$row;
    my @args = args($args, $obj);
    eval { $obj->$method(@args); 1 } and fail("$what: croaks"), next; my $line = __LINE__;
    croaked_at($@, $re, $line, "$what, called directly");

    eval { My::Wrap::call($obj, $method, @args); 1 } and fail("$what: croaks"), next;
    croaked_at($@, $re, $WRAP_LINE, "$what, through a wrapper sub");
}
for my $row (@LOOP) {
    my ($what, $obj, $method, $args, $re) = @$row;
    my $inv = ref $obj ? $myloop : 'My::Loop';
    my @args = args($args, $inv);
    eval { $inv->via_super($method, @args); 1 } and fail("$what: croaks"), next; my $line = __LINE__;
    croaked_at($@, $re, $line, "$what, through a subclass's method");
}

# A croak inside a callback points at the callback's line, also when the
# engine is running it (run_once is on another line).
{
    my @err;
    $loop->after(0, sub ($l) {
        push @err, [ eval { $l->pid(0, $cb); 1 } ? undef : $@, __LINE__ ];
        push @err, [ eval { My::Wrap::call($l, after => 'x', $cb); 1 } ? undef : $@, $WRAP_LINE ];
        push @err, [ eval { $l->run_once(0); 1 } ? undef : $@, __LINE__ ];
    });
    $loop->run_once(1);
    croaked_at($err[0][0], qr/^pid: process id/, $err[0][1], 'in a callback: pid');
    croaked_at($err[1][0], qr/^after: delay/, $err[1][1], 'in a callback, through a wrapper: after');
    croaked_at($err[2][0], qr/^Linux::Event::Loop: run_once called while the loop is already running/,
        $err[2][1], 'in a callback: run_once');
}

# Like Carp::croak, and unlike perl's own die, the location does not name
# the last handle read (", <$fh> line N"): the same whether the check is in
# Perl or in the engine.
{
    open(my $fh, '<', $FILE) or die "open: $!";
    my $first = <$fh>;
    eval { $loop->pid(0, $cb) };           my $l1 = __LINE__;
    my $engine = $@;
    eval { $loop->watch($r, bogus => 1) }; my $l2 = __LINE__;
    my $perl = $@;
    is $engine, "pid: process id must be a positive integer, not '0' at $FILE line $l1.\n",
        'after a read: a croak of the engine has no handle clause';
    is $perl, "unknown watch args: bogus at $FILE line $l2.\n", '... as a croak of the Perl half';
    close $fh;
}

# A die of user code comes out of run_once unchanged: its file and line,
# its object, its message with a newline of its own.
{
    my $line;
    $loop->after(0, sub { $line = __LINE__; die "boom" });
    eval { $loop->run_once(1) };
    is $@, "boom at $FILE line $line.\n", 'a die in a callback keeps its own line';

    $loop->after(0, sub { die "plain\n" });
    eval { $loop->run_once(1) };
    is $@, "plain\n", 'a message ending in a newline is left alone';

    my $obj = bless {}, 'My::Error';
    $loop->after(0, sub { die $obj });
    eval { $loop->run_once(1) };
    is $@, $obj, 'an exception object is the same object';

    # A callback in a subclass's package dies: still its own line.
    package My::Loop {
        sub die_later ($self) { $self->after(0, sub { die "sub-boom" }); return __LINE__ }
    }
    my $sline = $myloop->die_later;
    eval { $myloop->run_once(1) };
    is $@, "sub-boom at $FILE line $sline.\n", "a die in a subclass's callback keeps its own line";

    $watcher->on_read(sub ($l, $fh, $wt) { sysread($fh, my $buf, 1); $line = __LINE__; die "from read" });
    syswrite($w, 'x');
    eval { $loop->run_once(1) };
    is $@, "from read at $FILE line $line.\n", 'a die in an I/O callback keeps its own line';
    $watcher->on_read(undef);
}

# The loops still work.
for my $l ($loop, $myloop) {
    my %seen;
    $l->after(0.01, sub { $seen{timer}++ });
    pipe(my $r2, my $w2) or die;
    $l->watch($r2, read => sub ($l, $fh, $wt) { sysread($fh, my $b, 1); $seen{read}++; $wt->cancel });
    syswrite($w2, 'y');
    ok run_until($l, sub { keys %seen == 2 }), ref($l) . ': timer and watcher work after the croaks';
}
{
    my $n = 0;
    $waker->on_wakeup(sub ($l, $c) { $n += $c });
    $waker->signal(3);
    ok run_until($loop, sub { $n == 3 }), 'the waker works after the croaks';
}

done_testing;
