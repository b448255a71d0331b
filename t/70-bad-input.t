#!perl
# Bad input, table-driven: every public constructor and method called with
# wrong types, missing or extra arguments, undef, negative, infinite, NaN and
# huge numbers, references where scalars are expected, and objects of the
# wrong class.  Each must croak from the caller's line (" at $0 line N.",
# N being the line of the call) with a message that names the problem.
# Where the contract defines a result instead of a croak, that result is
# asserted.  Afterwards the loop still works.
use v5.36;
use Test::More;

BEGIN { alarm 60 }

use POSIX ();
use IO::Handle;
use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(now have_pidfd);

my $FILE = __FILE__;

my $HAVE_PIDFD = have_pidfd();

my $loop  = Linux::Event->new;
my $waker = $loop->waker;
pipe(my $r, my $w) or die "pipe: $!";
$w->autoflush(1);
my $watcher = $loop->watch($r, read => sub { });
my $sigsub  = $loop->signal('USR1', sub { });
my $kid = fork // die "fork: $!";
if (!$kid) { select undef, undef, undef, 30; POSIX::_exit(0) }
my $pidsub = $HAVE_PIDFD ? $loop->pid($kid, sub { }) : undef;
my $cb = sub { };
my $other = bless {}, 'Some::Other::Class';
my $other_array = bless [], 'Some::Other::Class';
open(my $closed, '<', '/dev/null') or die;
close $closed;

my $INF = 9**9**9;
my $NAN = $INF - $INF;

# Values that are not a number of seconds.
my @NOT_NUMBER = (
    [ undef            => undef ],
    [ 'empty string'   => '' ],
    [ 'a word'         => 'soon' ],
    [ 'trailing junk'  => '1abc' ],
    [ 'hex string'     => '0x10' ],
    [ 'array ref'      => [] ],
    [ 'hash ref'       => {} ],
    [ 'code ref'       => sub { } ],
    [ 'scalar ref'     => \1 ],
    [ 'glob ref'       => \*STDOUT ],
    [ 'object'         => $other ],
);
my @NOT_FINITE = (
    [ inf              => $INF ],
    [ '-inf'           => -$INF ],
    [ nan              => $NAN ],
    [ "'inf' string"   => 'inf' ],
    [ "'nan' string"   => 'nan' ],
    [ "'Infinity'"     => 'Infinity' ],
);
my @NOT_CODE = (
    [ undef        => undef ],
    [ string       => 'main::foo' ],
    [ number       => 42 ],
    [ 'array ref'  => [] ],
    [ 'hash ref'   => {} ],
    [ 'scalar ref' => \'sub { }' ],
    [ object       => $other ],
);
my @NOT_POS_INT = (
    [ undef             => undef ],
    [ zero              => 0 ],
    [ negative          => -1 ],
    [ fraction          => 1.5 ],
    [ 'a word'          => 'two' ],
    [ 'empty string'    => '' ],
    [ inf               => $INF ],
    [ nan               => $NAN ],
    [ 'array ref'       => [] ],
    [ 'hash ref'        => {} ],
    [ object            => $other ],
);

my @ROWS;
# row(__LINE__, name, code, qr/message/): the call in `code` is on line __LINE__.
sub row ($line, $name, $code, $re) { push @ROWS, [ $line, $name, $code, $re ] }

# ---- constructors ------------------------------------------------------------
row(__LINE__, 'Loop->new odd args',       sub { Linux::Event::Loop->new('backend') },              qr/odd number of arguments/);
row(__LINE__, 'Loop->new unknown args',   sub { Linux::Event::Loop->new(zz => 1, aa => 2) },       qr/unknown args: aa, zz/);
row(__LINE__, 'Loop->new bad backend',    sub { Linux::Event::Loop->new(backend => 'kqueue') },    qr/unknown backend 'kqueue'/);
row(__LINE__, 'Loop->new backend object', sub { Linux::Event::Loop->new(backend => $other) },      qr/backend objects are not supported/);
row(__LINE__, 'Loop->new backend ref',    sub { Linux::Event::Loop->new(backend => []) },          qr/not supported/);
row(__LINE__, 'Loop->new clock',          sub { Linux::Event::Loop->new(clock => sub { 1 }) },     qr/'clock' option is not supported/);
row(__LINE__, 'Loop->new timer',          sub { Linux::Event::Loop->new(timer => $other) },        qr/'timer' option is not supported/);
row(__LINE__, 'Event->new unknown args',  sub { Linux::Event->new(foo => 1) },                     qr/unknown args: foo/);
row(__LINE__, 'Event->new bad backend',   sub { Linux::Event->new(backend => 'poll') },            qr/unknown backend 'poll'/);
row(__LINE__, 'Event->new odd args',      sub { Linux::Event->new(1, 2, 3) },                      qr/odd number of arguments/);

# ---- run, run_once, stop, waker: arity and invocant ---------------------------
row(__LINE__, 'run extra arg',            sub { $loop->run(1) },                                   qr/Usage: \$loop->run/);
row(__LINE__, 'run as class method',      sub { Linux::Event::Loop->run },                         qr/not a Linux::Event::Loop object/);
row(__LINE__, 'run on other object',      sub { Linux::Event::Loop::run($other) },                 qr/not a Linux::Event::Loop object/);
row(__LINE__, 'run on plain string',      sub { Linux::Event::Loop::run('x') },                    qr/not a Linux::Event::Loop object/);
row(__LINE__, 'run on empty Loop hash',   sub { Linux::Event::Loop::run(bless {}, 'Linux::Event::Loop') }, qr/not a Linux::Event::Loop object/);
row(__LINE__, 'run_once two args',        sub { $loop->run_once(0, 1) },                           qr/Usage: \$loop->run_once/);
row(__LINE__, 'run_once negative',        sub { $loop->run_once(-1) },                             qr/run_once timeout must not be negative/);
row(__LINE__, 'run_once -0.001',          sub { $loop->run_once(-0.001) },                         qr/run_once timeout must not be negative/);
row(__LINE__, "run_once $_->[0]",         do { my $v = $_->[1]; sub { $loop->run_once($v) } },     qr/run_once timeout must be a finite number/) for @NOT_FINITE;
row(__LINE__, "run_once $_->[0]",         do { my $v = $_->[1]; sub { $loop->run_once($v) } },     qr/run_once timeout must be a number of seconds, not/)
    for grep { defined $_->[1] } @NOT_NUMBER;
row(__LINE__, 'run_once on other object', sub { Linux::Event::Loop::run_once($other, 0) },         qr/not a Linux::Event::Loop object/);
row(__LINE__, 'stop extra arg',           sub { $loop->stop(1) },                                  qr/Usage: \$loop->stop/);
row(__LINE__, 'stop on other object',     sub { Linux::Event::Loop::stop($other) },                qr/not a Linux::Event::Loop object/);
row(__LINE__, 'waker extra arg',          sub { $loop->waker(1) },                                 qr/Usage: \$loop->waker/);
row(__LINE__, 'waker on other object',    sub { Linux::Event::Loop::waker($other) },               qr/Linux::Event::Loop/);

# ---- after, at -----------------------------------------------------------------
for my $m (qw(after at)) {
    my $what = $m eq 'after' ? 'after: delay' : 'at: deadline';
    row(__LINE__, "$m no args",            sub { $loop->$m() },                                   qr/Usage: \$loop->$m\(\$seconds, sub/);
    row(__LINE__, "$m no callback",        sub { $loop->$m(1) },                                  qr/Usage: \$loop->$m/);
    row(__LINE__, "$m extra arg",          sub { $loop->$m(1, $cb, 'extra') },                    qr/Usage: \$loop->$m/);
    row(__LINE__, "$m seconds $_->[0]",    do { my $v = $_->[1]; sub { $loop->$m($v, $cb) } },    qr/\Q$what\E must be a number of seconds, not/) for @NOT_NUMBER;
    row(__LINE__, "$m seconds $_->[0]",    do { my $v = $_->[1]; sub { $loop->$m($v, $cb) } },    qr/\Q$what\E must be a finite number of seconds/) for @NOT_FINITE;
    row(__LINE__, "$m callback $_->[0]",   do { my $v = $_->[1]; sub { $loop->$m(1, $v) } },      qr/$m: callback must be a CODE reference, not/) for @NOT_CODE;
    row(__LINE__, "$m on other object",    sub { Linux::Event::Loop::after($other, 1, $cb) },      qr/not a Linux::Event::Loop object/);
}
row(__LINE__, 'after huge delay',         sub { $loop->after(1e10, $cb) },                         qr/after: delay .* is too large/);
row(__LINE__, 'after 1e300',              sub { $loop->after(1e300, $cb) },                        qr/after: delay .* is too large/);
row(__LINE__, 'at far deadline',          sub { $loop->at(now() + 2e9, $cb) },                     qr/at: deadline .* is too far in the future/);

# ---- cancel ---------------------------------------------------------------------
row(__LINE__, 'cancel no id',             sub { $loop->cancel },                                   qr/Usage: \$loop->cancel\(\$timer_id\)/);
row(__LINE__, 'cancel extra arg',         sub { $loop->cancel(1, 2) },                             qr/Usage: \$loop->cancel/);
row(__LINE__, "cancel id $_->[0]",        do { my $v = $_->[1]; sub { $loop->cancel($v) } },       qr/cancel: timer id must be an id returned by after or at, not a reference/)
    for grep { ref $_->[1] } @NOT_POS_INT;
row(__LINE__, 'cancel on other object',   sub { Linux::Event::Loop::cancel($other, 1) },           qr/not a Linux::Event::Loop object/);

# ---- watch, unwatch ---------------------------------------------------------------
row(__LINE__, 'watch no handle',          sub { $loop->watch },                                    qr/Usage: \$loop->watch/);
row(__LINE__, 'watch undef handle',       sub { $loop->watch(undef, read => $cb) },                qr/handle has no file descriptor/);
row(__LINE__, 'watch string handle',      sub { $loop->watch('STDIN_NOT', read => $cb) },          qr/handle has no file descriptor/);
row(__LINE__, 'watch fd number',          sub { $loop->watch(0, read => $cb) },                    qr/handle has no file descriptor/);
row(__LINE__, 'watch array ref',          sub { $loop->watch([], read => $cb) },                   qr/handle has no file descriptor/);
row(__LINE__, 'watch hash ref',           sub { $loop->watch({}, read => $cb) },                   qr/handle has no file descriptor/);
row(__LINE__, 'watch code ref',           sub { $loop->watch($cb, read => $cb) },                  qr/handle has no file descriptor/);
row(__LINE__, 'watch object',             sub { $loop->watch($other, read => $cb) },               qr/handle has no file descriptor/);
row(__LINE__, 'watch closed handle',      sub { $loop->watch($closed, read => $cb) },              qr/handle has no file descriptor/);
row(__LINE__, 'watch odd spec',           sub { $loop->watch($r, 'read') },                        qr/watch: odd number of arguments/);
row(__LINE__, 'watch unknown keys',       sub { $loop->watch($r, reed => $cb, rite => $cb) },      qr/unknown watch args: reed, rite/);
for my $dir (qw(read write error)) {
    row(__LINE__, "watch $dir $_->[0]",   do { my $v = $_->[1]; sub { $loop->watch($r, $dir => $v) } }, qr/watch: $dir must be a CODE reference or undef/)
        for grep { defined $_->[1] } @NOT_CODE;
}
row(__LINE__, 'watch the waker fh',       sub { $loop->watch($waker->fh, read => $cb) },           qr/reserved.*on_wakeup/);
row(__LINE__, 'watch on other object',    sub { Linux::Event::Loop::watch($other, $r, read => $cb) }, qr/Linux::Event::Loop/);
row(__LINE__, 'watch class method',       sub { Linux::Event::Loop->watch($r, read => $cb) },      qr/not a Linux::Event::Loop object/);
row(__LINE__, 'unwatch no handle',        sub { $loop->unwatch },                                  qr/Usage: \$loop->unwatch\(\$fh\)/);
row(__LINE__, 'unwatch extra arg',        sub { $loop->unwatch($r, 1) },                           qr/Usage: \$loop->unwatch/);
row(__LINE__, 'unwatch on other object',  sub { Linux::Event::Loop::unwatch($other, $r) },         qr/Linux::Event::Loop/);

# ---- signal ------------------------------------------------------------------------
row(__LINE__, 'signal no args',           sub { $loop->signal },                                   qr/Usage: \$loop->signal/);
row(__LINE__, 'signal no callback',       sub { $loop->signal('USR1') },                           qr/Usage: \$loop->signal/);
row(__LINE__, 'signal undef',             sub { $loop->signal(undef, $cb) },                       qr/undefined signal/);
row(__LINE__, 'signal unknown name',      sub { $loop->signal('FOO', $cb) },                       qr/unknown signal 'FOO'/);
row(__LINE__, 'signal SIGFOO',            sub { $loop->signal('SIGFOO', $cb) },                    qr/unknown signal 'SIGFOO'/);
row(__LINE__, 'signal 0',                 sub { $loop->signal(0, $cb) },                           qr/unknown signal '0'/);
row(__LINE__, 'signal -1',                sub { $loop->signal(-1, $cb) },                          qr/unknown signal '-1'/);
row(__LINE__, 'signal 65',                sub { $loop->signal(65, $cb) },                          qr/unknown signal '65'/);
row(__LINE__, 'signal 1.5',               sub { $loop->signal(1.5, $cb) },                         qr/unknown signal '1.5'/);
row(__LINE__, 'signal inf',               sub { $loop->signal($INF, $cb) },                        qr/unknown signal 'Inf'/i);
row(__LINE__, 'signal nan',               sub { $loop->signal($NAN, $cb) },                        qr/unknown signal 'NaN'/i);
row(__LINE__, 'signal 2**70',             sub { $loop->signal(2**70, $cb) },                       qr/unknown signal/);
row(__LINE__, 'signal empty list',        sub { $loop->signal([], $cb) },                          qr/empty signal list/);
row(__LINE__, 'signal hash ref',          sub { $loop->signal({}, $cb) },                          qr/not a reference/);
row(__LINE__, 'signal object',            sub { $loop->signal($other, $cb) },                      qr/not a reference/);
row(__LINE__, 'signal list with a bad one', sub { $loop->signal([ 'USR1', 'BOGUS' ], $cb) },       qr/unknown signal 'BOGUS'/);
row(__LINE__, 'signal list with a ref',   sub { $loop->signal([ 'USR1', [] ], $cb) },              qr/not a reference/);
row(__LINE__, 'signal KILL',              sub { $loop->signal('KILL', $cb) },                      qr/cannot handle signal/);
row(__LINE__, 'signal STOP',              sub { $loop->signal('STOP', $cb) },                      qr/cannot handle signal/);
row(__LINE__, "signal callback $_->[0]",  do { my $v = $_->[1]; sub { $loop->signal('USR1', $v) } }, qr/signal: callback must be a CODE reference/) for @NOT_CODE;
row(__LINE__, 'signal odd options',       sub { $loop->signal('USR1', $cb, 'data') },              qr/signal: odd number of options/);
row(__LINE__, 'signal unknown options',   sub { $loop->signal('USR1', $cb, dta => 1) },            qr/unknown signal args: dta/);
row(__LINE__, 'signal on other object',   sub { Linux::Event::Loop::signal($other, 'USR1', $cb) }, qr/Linux::Event::Loop/);

# ---- pid ------------------------------------------------------------------------------
row(__LINE__, 'pid no args',              sub { $loop->pid },                                      qr/Usage: \$loop->pid/);
row(__LINE__, 'pid no callback',          sub { $loop->pid($kid) },                                qr/Usage: \$loop->pid/);
row(__LINE__, "pid $_->[0]",              do { my $v = $_->[1]; sub { $loop->pid($v, $cb) } },     qr/pid: process id must be a positive integer, not/) for @NOT_POS_INT;
row(__LINE__, 'pid 2**31',                sub { $loop->pid(2**31, $cb) },                          qr/pid: process id must be a positive integer/);
row(__LINE__, 'pid 2**64',                sub { $loop->pid(2**64, $cb) },                          qr/pid: process id must be a positive integer/);
row(__LINE__, "pid callback $_->[0]",     do { my $v = $_->[1]; sub { $loop->pid($kid, $v) } },    qr/pid: callback must be a CODE reference/) for @NOT_CODE;
row(__LINE__, 'pid odd options',          sub { $loop->pid($kid, $cb, 'reap') },                   qr/pid: odd number of options/);
row(__LINE__, 'pid unknown options',      sub { $loop->pid($kid, $cb, reaper => 1) },              qr/unknown pid args: reaper/);
if ($HAVE_PIDFD) {
row(__LINE__, 'pid not our child',        sub { $loop->pid(1, $cb) },                              qr/not a child of this process/);
row(__LINE__, 'pid no such process',      sub { $loop->pid(2**31 - 1, $cb, reap => 0) },           qr/no such process/);
}
row(__LINE__, 'pid on other object',      sub { Linux::Event::Loop::pid($other, $kid, $cb) },      qr/Linux::Event::Loop/);

# ---- Watcher methods ---------------------------------------------------------------------
for my $m (qw(loop fh fd is_active cancel read_enabled write_enabled error_enabled)) {
    row(__LINE__, "watcher $m extra arg",     sub { $watcher->$m(1) },                             qr/Usage: \$watcher->(?:$m|read_enabled \(and the like\))/);
    row(__LINE__, "watcher $m class method",  sub { Linux::Event::Watcher->$m },                   qr/not a Linux::Event::Watcher object/);
    row(__LINE__, "watcher $m other object",  do { no strict 'refs'; my $f = \&{"Linux::Event::Watcher::$m"}; sub { $f->($other_array) } }, qr/not a Linux::Event::Watcher object/);
    row(__LINE__, "watcher $m on a signal sub", do { no strict 'refs'; my $f = \&{"Linux::Event::Watcher::$m"}; sub { $f->($sigsub) } }, qr/not a Linux::Event::Watcher object/);
}
for my $m (qw(enable_read disable_read enable_write disable_write enable_error disable_error)) {
    row(__LINE__, "watcher $m extra arg",     sub { $watcher->$m(1) },                             qr/take no arguments/);
    row(__LINE__, "watcher $m other object",  do { no strict 'refs'; my $f = \&{"Linux::Event::Watcher::$m"}; sub { $f->($other) } }, qr/not a Linux::Event::Watcher object/);
}
for my $m (qw(on_read on_write on_error)) {
    row(__LINE__, "watcher $m no arg",        sub { $watcher->$m },                                qr/Usage: \$watcher->$m/);
    row(__LINE__, "watcher $m two args",      sub { $watcher->$m($cb, $cb) },                      qr/Usage: \$watcher->$m/);
    row(__LINE__, "watcher $m $_->[0]",       do { my $v = $_->[1]; sub { $watcher->$m($v) } },    qr/$m: handler must be a CODE reference/) for grep { defined $_->[1] } @NOT_CODE;
    row(__LINE__, "watcher $m other object",  do { no strict 'refs'; my $f = \&{"Linux::Event::Watcher::$m"}; sub { $f->($other, $cb) } }, qr/not a Linux::Event::Watcher object/);
}
for my $m (qw(edge_triggered oneshot)) {
    row(__LINE__, "watcher $m two args",      sub { $watcher->$m(1, 2) },                          qr/Usage: \$watcher->edge_triggered or ->oneshot/);
    row(__LINE__, "watcher $m other object",  do { no strict 'refs'; my $f = \&{"Linux::Event::Watcher::$m"}; sub { $f->($other, 1) } }, qr/not a Linux::Event::Watcher object/);
}
row(__LINE__, 'watcher data three args',  sub { $watcher->data(1, 2) },                           qr/Usage: \$watcher->data/);
row(__LINE__, 'watcher data other object', sub { Linux::Event::Watcher::data($other) },            qr/not a Linux::Event::Watcher object/);

# ---- Wakeup methods -----------------------------------------------------------------------
row(__LINE__, "waker signal $_->[0]",     do { my $v = $_->[1]; sub { $waker->signal($v) } },      qr/signal count must be a positive integer, not/) for @NOT_POS_INT;
row(__LINE__, 'waker signal 2**64',       sub { $waker->signal(2**64) },                           qr/signal count must be a positive integer/);
row(__LINE__, "waker signal '18446744073709551615'", sub { $waker->signal('18446744073709551615') }, qr/signal count must be a positive integer/);
row(__LINE__, 'waker signal two args',    sub { $waker->signal(1, 2) },                            qr/Usage: \$waker->signal/);
row(__LINE__, 'waker signal class',       sub { Linux::Event::Wakeup->signal },                    qr/not a Linux::Event::Wakeup object/);
row(__LINE__, 'waker signal other object', sub { Linux::Event::Wakeup::signal($other) },           qr/not a Linux::Event::Wakeup object/);
row(__LINE__, 'waker signal on a loop',   sub { Linux::Event::Wakeup::signal($loop) },             qr/not a Linux::Event::Wakeup object/);
row(__LINE__, 'waker drain extra arg',    sub { $waker->drain(1) },                                qr/Usage: \$waker->drain/);
row(__LINE__, 'waker drain other object', sub { Linux::Event::Wakeup::drain($other) },             qr/not a Linux::Event::Wakeup object/);
row(__LINE__, 'waker fh extra arg',       sub { $waker->fh(1) },                                   qr/Usage: \$waker->fh/);
row(__LINE__, 'waker fh other object',    sub { Linux::Event::Wakeup::fh($other) },                qr/Linux::Event::Wakeup/);
row(__LINE__, 'waker fh empty Wakeup',    sub { Linux::Event::Wakeup::fh(bless {}, 'Linux::Event::Wakeup') }, qr/not a Linux::Event::Wakeup object/);
row(__LINE__, 'waker on_wakeup no arg',   sub { $waker->on_wakeup },                               qr/Usage: \$waker->on_wakeup/);
row(__LINE__, 'waker on_wakeup two args', sub { $waker->on_wakeup($cb, 1) },                       qr/Usage: \$waker->on_wakeup/);
row(__LINE__, "waker on_wakeup $_->[0]",  do { my $v = $_->[1]; sub { $waker->on_wakeup($v) } },   qr/on_wakeup: handler must be a CODE reference or undef/) for grep { defined $_->[1] } @NOT_CODE;
row(__LINE__, 'waker on_wakeup other object', sub { Linux::Event::Wakeup::on_wakeup($other, $cb) }, qr/not a Linux::Event::Wakeup object/);

# ---- Signal and Pid subscriptions ------------------------------------------------------------
for my $pair ($HAVE_PIDFD ? ([ Signal => $sigsub, $pidsub ], [ Pid => $pidsub, $sigsub ]) : ([ Signal => $sigsub, $other_array ])) {
    my ($kind, $sub, $wrong) = @$pair;
    my $class = "Linux::Event::${kind}::Subscription";
    for my $m (qw(cancel is_active)) {
        row(__LINE__, "$kind $m extra arg",    sub { $sub->$m(1) },                               qr/Usage: \$subscription->$m/);
        row(__LINE__, "$kind $m class method", sub { $class->$m },                                 qr/not a \Q$class\E object/);
        row(__LINE__, "$kind $m other object", do { no strict 'refs'; my $f = \&{"${class}::$m"}; sub { $f->($other_array) } }, qr/not a \Q$class\E object/);
        row(__LINE__, "$kind $m wrong kind",   do { no strict 'refs'; my $f = \&{"${class}::$m"}; sub { $f->($wrong) } }, qr/not a \Q$class\E object/);
    }
}

# ---- the adaptors of 0.007, and the loop's clock ------------------------------------------------
my $clock = $loop->clock;
for my $kind (qw(Signal Pid)) {
    my $class = "Linux::Event::$kind";
    my $m     = lc $kind;
    my $adaptor = $class->new(loop => $loop);
    row(__LINE__, "$kind new without loop",   sub { $class->new },                               qr/\Q$class\E->new: loop is required/);
    row(__LINE__, "$kind new odd args",       sub { $class->new('loop') },                       qr/\Q$class\E->new: odd number of arguments/);
    row(__LINE__, "$kind new loop not a loop", sub { $class->new(loop => $other) },              qr/\Q$class\E->new: loop is required/);
    row(__LINE__, "$kind new unknown args",   sub { $class->new(loop => $loop, x => 1) },        qr/\Q$class\E->new: unknown args: x/);
    row(__LINE__, "$kind loop extra arg",     sub { $adaptor->loop(1) },                         qr/Usage: /);
    row(__LINE__, "$kind loop class method",  sub { $class->loop },                              qr/not a \Q$class\E object/);
    row(__LINE__, "$kind $m bad callback",    sub { $adaptor->$m(1, 'nope') },                   qr/$m: callback must be a CODE reference/);
    row(__LINE__, "$kind $m gone loop",       do { my $a = $class->new(loop => Linux::Event->new); sub { $a->$m(1, $cb) } }, qr/$m: the loop of this \Q$class\E no longer exists/);
}
row(__LINE__, 'Signal adaptor unknown signal', sub { Linux::Event::Signal->new(loop => $loop)->signal('FOO', $cb) }, qr/unknown signal 'FOO'/);
row(__LINE__, 'waker loop extra arg',     sub { $waker->loop(1) },                                 qr/Usage: \$waker->loop/);
row(__LINE__, 'clock extra arg',          sub { $loop->clock(1) },                                 qr/Usage: \$loop->clock/);
row(__LINE__, 'clock on other object',    sub { Linux::Event::Loop::clock($other) },               qr/not a Linux::Event::Loop object/);
row(__LINE__, "loop $_ accessor",         do { my $m = $_; sub { $loop->$m } },                    qr/Linux::Event::Loop->$_ is not available: .*use \$loop->/) for qw(timer backend sched);
row(__LINE__, 'clock tick extra arg',     sub { $clock->tick(1) },                                 qr/Usage: \$clock->tick/);
row(__LINE__, 'clock now_ns class method', sub { Linux::Event::Loop::Clock->now_ns },              qr/Usage: \$clock->now_ns/);
row(__LINE__, "clock $_ no arg",          do { my $m = $_; sub { $clock->$m } },                   qr/Usage: \$clock->$_/)
    for qw(deadline_after deadline_after_ms deadline_after_us deadline_in_ns expired_ns remaining_ns);
row(__LINE__, "clock deadline_after $_->[0]", do { my $v = $_->[1]; sub { $clock->deadline_after($v) } }, qr/deadline_after: seconds must be a number, not/)
    for grep { $_->[0] =~ /undef|word|empty|inf|nan|ref|object/ } @NOT_POS_INT;
row(__LINE__, 'clock remaining_ns undef', sub { $clock->remaining_ns(undef) },                     qr/remaining_ns: deadline_ns must be a number, not undef/);
row(__LINE__, 'clock new bad kind',       sub { Linux::Event::Loop::Clock->new(clock => 'realtime') }, qr/clock must be 'monotonic', not 'realtime'/);
row(__LINE__, 'clock new unknown args',   sub { Linux::Event::Loop::Clock->new(x => 1) },          qr/unknown args: x/);

# ---- run the table ------------------------------------------------------------------------------
for my $row (@ROWS) {
    my ($line, $name, $code, $re) = @$row;
    my $ok  = eval { $code->(); 1 };
    my $err = $@;
    if ($ok) {
        fail "$name: croaks";
        next;
    }
    ok((ref $err eq '' && $err =~ $re && $err =~ / at \Q$FILE\E line $line\.\n\z/), "$name: croaks from line $line, naming the problem")
        or diag "got: " . (ref $err ? "a " . ref($err) . " object" : $err);
}
diag scalar(@ROWS) . ' bad calls in the table';

# ---- where the contract defines a result instead -------------------------------------------------
{
    my $fired = 0;
    my $t0 = now();
    my $id = $loop->after(-1, sub { $fired++ });
    ok $id > 0, 'after(-1) is accepted (counts as 0) and returns an id';
    $loop->run_once(1);
    is $fired, 1, 'after(-1) fired on the next cycle';
    cmp_ok now() - $t0, '<', 0.5, '... promptly';

    $fired = 0;
    $loop->after(-$INF + 0 == -$INF ? -1e9 : -1, sub { $fired++ });
    $loop->run_once(1);
    is $fired, 1, 'after(-1e9) counts as 0 as well';

    $fired = 0;
    $loop->at(-5, sub { $fired++ });
    $loop->run_once(1);
    is $fired, 1, 'at() with a deadline in the past fires on the next cycle';

    my $far = $loop->after(1e9, sub { });
    ok $far, 'after(1e9) (the largest delay) is accepted';
    ok $loop->cancel($far), '... and can be cancelled';

    is $loop->cancel(0), 0, 'cancel(0) returns 0';
    is $loop->cancel(123456789), 0, 'cancel of an unknown id returns 0';
    is $loop->cancel('18446744073709551615'), 0, 'cancel of the largest integer returns 0';
    # As in 0.007, any plain value that is not a pending id is just not found.
    is $loop->cancel($_->[1]), 0, "cancel of $_->[0] returns 0 without croaking"
        for (grep { !ref $_->[1] } @NOT_POS_INT), [ '2**64' => 2**64 ], [ '-inf' => -$INF ];
    my $done = $loop->after(0, sub { });
    $loop->run_once(1);
    is $loop->cancel($done), 0, 'cancel of a fired id returns 0';
    my $c = $loop->after(10, sub { });
    is $loop->cancel($c), 1, 'cancel of a pending id returns 1';
    is $loop->cancel($c), 0, '... then 0';

    pipe(my $r2, my $w2) or die;
    is $loop->unwatch($r2), 0, 'unwatch of a handle never watched returns 0';
    is $loop->unwatch(undef), 0, 'unwatch(undef) returns 0';
    is $loop->unwatch('nothing'), 0, 'unwatch of a string returns 0';
    is $loop->unwatch([]), 0, 'unwatch of a non-handle reference returns 0';
    is $loop->unwatch($closed), 0, 'unwatch of a closed handle returns 0';
    my $w2w = $loop->watch($r2, read => undef, write => undef, error => undef);
    is $w2w->read_enabled . $w2w->write_enabled . $w2w->error_enabled, '000', 'watch with only undef handlers: nothing enabled';
    is $loop->unwatch($r2), 1, 'unwatch of a watched handle returns true';
    is $loop->unwatch($r2), 0, '... 0 when repeated';

    my $s = $loop->signal('sigusr2', sub { });
    ok $s->is_active, "signal('sigusr2'): lower case with SIG prefix accepted";
    ok $loop->signal(POSIX::SIGUSR2(), sub { })->is_active, 'signal by number accepted';
    ok !$s->is_active, '... and replaced the earlier handler';
    ok $loop->signal('RTMIN+1', sub { })->is_active, "signal('RTMIN+1') accepted";
    if ($HAVE_PIDFD) {
        my $p = $loop->pid(1, sub { }, reap => 0);
        ok $p->is_active, 'pid(1, reap => 0): notify-only on a process that is not our child is accepted';
        ok $p->cancel, '... and can be cancelled';
        ok !$p->cancel, '... once';
    }

    is $waker->signal('18446744073709551614'), 1, 'waker signal(2**64-2) (the largest count) is accepted';
    my $full = eval { $waker->signal(1); 1 } ? 'no error' : $@;
    like $full, qr/counter is full/, 'one more: croaks "counter is full"';
    like $full, qr/ at \Q$FILE\E line \d+\.$/, '... from the caller\'s line';
    is $waker->drain, '18446744073709551614', 'drain returns all of it';
    is $waker->drain, 0, '... then 0';
    is $waker->on_wakeup(undef), $waker, 'on_wakeup(undef) is accepted and returns the waker';
    is $watcher->on_read(undef), $watcher, 'on_read(undef) is accepted and returns the watcher';
    is $watcher->read_enabled, 0, '... and disables read';
}

# ---- the loop still works ----------------------------------------------------------------------
{
    my %seen;
    my $t0 = now();
    $loop->after(0.01, sub { $seen{timer}++ });
    $watcher->on_read(sub ($l, $fh, $wt) { sysread($fh, my $b, 10); $seen{read}++ })->enable_read;
    syswrite($w, 'x');
    $waker->on_wakeup(sub ($l, $n) { $seen{wakeup} += $n });
    $waker->signal(2);
    $loop->signal('USR1', sub ($l, $s, $c, $d) { $seen{usr1} += $c });
    kill USR1 => $$;
    my $st;
    $loop->pid($kid, sub ($l, $p, $s, $d) { $st = $s }) if $HAVE_PIDFD;
    kill TERM => $kid;
    waitpid($kid, 0), $st = $? unless $HAVE_PIDFD;
    $loop->run_once(0.1) until (keys %seen == 4 && defined $st) || now() - $t0 > 10;
    is_deeply \%seen, { timer => 1, read => 1, wakeup => 2, usr1 => 1 },
        'after the table: timer, watcher, waker and signal all work';
    ok defined $st && POSIX::WIFSIGNALED($st), 'and the pid subscription reports the child';
}

done_testing;
