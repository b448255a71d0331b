#!perl
# watch / unwatch and every Linux::Event::Watcher method, with real pipes and
# socketpairs.
use v5.36;
BEGIN { alarm 120 }    # watchdog: a hang fails instead of blocking CI
use Test::More;
use IO::Handle;
use Scalar::Util qw(refaddr);
use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(new_pipe new_socketpair same_ref fd_open croaks pipe_works);

$SIG{PIPE} = 'IGNORE';

subtest 'watch returns a Linux::Event::Watcher; accessors' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    my $data = { k => 'v' };
    my $wt = $loop->watch($r, read => sub ($l, $fh, $wt) { }, data => $data);
    isa_ok($wt, 'Linux::Event::Watcher');
    same_ref($wt->loop, $loop, 'loop() is the loop');
    same_ref($wt->fh, $r, 'fh() is the watched handle');
    is($wt->fd, fileno($r), 'fd() is its file descriptor');
    same_ref($wt->data, $data, 'data() is the value given to watch');
    $wt->data('new');
    is($wt->data, 'new', 'data($new) sets');
    my $aref = [1, 2];
    $wt->data($aref);
    same_ref($wt->data, $aref, 'data($ref) keeps the same reference');
    $wt->data(undef);
    is($wt->data, undef, 'data(undef) clears the slot');
    is($wt->is_active, 1, 'is_active is 1');
    is($wt->edge_triggered, 0, 'edge_triggered defaults to 0');
    is($wt->oneshot, 0, 'oneshot defaults to 0');

    my ($r2, $w2) = new_pipe();
    my $wt2 = $loop->watch($r2, read => sub ($l, $fh, $wt) { });
    is($wt2->data, undef, 'data defaults to undef');
    ok(refaddr($wt2) != refaddr($wt), 'different fds give different watchers');
};

subtest 'default enabled state: a direction is enabled iff its handler was given' => sub {
    my $loop = Linux::Event->new;
    my $cb   = sub ($l, $fh, $wt) { };
    for my $mask (0 .. 7) {
        my ($r, $w) = new_pipe();
        my %spec;
        $spec{read}  = $cb if $mask & 1;
        $spec{write} = $cb if $mask & 2;
        $spec{error} = $cb if $mask & 4;
        my $name = join('+', sort keys %spec) || 'no handlers';
        my $wt = $loop->watch($r, %spec);
        is($wt->read_enabled,  ($mask & 1) ? 1 : 0, "$name: read_enabled");
        is($wt->write_enabled, ($mask & 2) ? 1 : 0, "$name: write_enabled");
        is($wt->error_enabled, ($mask & 4) ? 1 : 0, "$name: error_enabled");
        ok($loop->unwatch($r), "$name: unwatch");
    }
    my ($r, $w) = new_pipe();
    my $wt = $loop->watch($r, read => undef, write => undef, error => undef);
    is($wt->read_enabled . $wt->write_enabled . $wt->error_enabled, '000',
        'explicit undef handlers: all directions disabled');
};

subtest 'enable_*/disable_* return the watcher; *_enabled return 1/0' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    my $cb = sub ($l, $fh, $wt) { };
    my $wt = $loop->watch($r, read => $cb, write => $cb, error => $cb);
    for my $dir (qw(read write error)) {
        my ($en, $dis, $q) = ("enable_$dir", "disable_$dir", "${dir}_enabled");
        same_ref($wt->$dis, $wt, "$dis returns the watcher");
        is($wt->$q, 0, "$q is 0 after $dis");
        same_ref($wt->$dis, $wt, "$dis again returns the watcher");
        is($wt->$q, 0, "$q still 0");
        same_ref($wt->$en, $wt, "$en returns the watcher");
        is($wt->$q, 1, "$q is 1 after $en");
        same_ref($wt->$en, $wt, "$en again returns the watcher");
        is($wt->$q, 1, "$q still 1");
    }
    same_ref($wt->disable_read->disable_write->enable_read, $wt, 'chained toggles');
    is($wt->read_enabled . $wt->write_enabled, '10', 'chained toggles applied');
};

subtest 'read callback: ABI, level-triggered, disable/enable' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    my @calls;
    my $wt = $loop->watch($r, read => sub { push @calls, [@_] });
    $loop->run_once(0.05);
    is(scalar(@calls), 0, 'no data: no read callback');
    syswrite($w, 'abc');
    my $n = $loop->run_once(1);
    is(scalar(@calls), 1, 'data: read callback once');
    is($n, 1, 'run_once counted one callback');
    is(scalar(@{ $calls[0] // [] }), 3, 'exactly three arguments');
    same_ref($calls[0][0], $loop, 'arg 1 is the loop');
    same_ref($calls[0][1], $r,    'arg 2 is the handle');
    same_ref($calls[0][2], $wt,   'arg 3 is the watcher');

    $loop->run_once(0);
    is(scalar(@calls), 2, 'level-triggered: fires again while the data is unread');

    $wt->disable_read;
    $loop->run_once(0.05);
    is(scalar(@calls), 2, 'disable_read: no dispatch');
    $wt->enable_read;
    $loop->run_once(1);
    is(scalar(@calls), 3, 'enable_read: dispatch resumes');

    sysread($r, my $buf, 100);
    is($buf, 'abc', 'data intact');
    $loop->run_once(0.05);
    is(scalar(@calls), 3, 'drained: no more read callbacks');
};

subtest 'write callback: ABI, disable/enable' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    my @calls;
    my $wt = $loop->watch($w, write => sub { push @calls, [@_] });
    $loop->run_once(1);
    is(scalar(@calls), 1, 'empty pipe is writable: write callback once');
    is(scalar(@{ $calls[0] // [] }), 3, 'exactly three arguments');
    same_ref($calls[0][0], $loop, 'arg 1 is the loop');
    same_ref($calls[0][1], $w,    'arg 2 is the handle');
    same_ref($calls[0][2], $wt,   'arg 3 is the watcher');
    $wt->disable_write;
    $loop->run_once(0.05);
    is(scalar(@calls), 1, 'disable_write: no dispatch');
    $wt->enable_write;
    $loop->run_once(1);
    is(scalar(@calls), 2, 'enable_write: dispatch resumes');
};

subtest 'socketpair: one watcher for both directions' => sub {
    my $loop = Linux::Event->new;
    my ($x, $y) = new_socketpair();
    my (@log, $got);
    my $wt = $loop->watch($x,
        read  => sub ($l, $fh, $wt) { sysread($fh, my $buf, 100); $got .= $buf; push @log, 'read' },
        write => sub ($l, $fh, $wt) { push @log, 'write'; $wt->disable_write },
    );
    $loop->run_once(1);
    is_deeply(\@log, ['write'], 'writable, not readable: only write');
    @log = ();
    syswrite($y, 'hello');
    $loop->run_once(1);
    is_deeply(\@log, ['read'], 'readable, write disabled: only read');
    is($got, 'hello', 'data received');
    ok($loop->unwatch($x), 'unwatch');
};

subtest 'on_read/on_write/on_error: return the watcher, undef disables, no silent re-enable' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    my ($na, $nb, $nc) = (0, 0, 0);
    my $wt = $loop->watch($r, read => sub ($l, $fh, $wt) { $na++ });
    syswrite($w, 'x');

    same_ref($wt->on_read(sub ($l, $fh, $wt) { $nb++ }), $wt, 'on_read($cb) returns the watcher');
    is($wt->read_enabled, 1, 'replacing the handler keeps read enabled');
    $loop->run_once(1);
    is("$na/$nb", '0/1', 'the new handler is called, the old one is not');

    same_ref($wt->on_read(undef), $wt, 'on_read(undef) returns the watcher');
    is($wt->read_enabled, 0, 'on_read(undef) disables read');
    $loop->run_once(0.05);
    is($nb, 1, 'no dispatch after on_read(undef)');

    $wt->on_read(sub ($l, $fh, $wt) { $nb++ });
    is($wt->read_enabled, 0, 'installing a handler does not re-enable read');
    $loop->run_once(0.05);
    is($nb, 1, '... and nothing is dispatched');
    $wt->enable_read;
    $loop->run_once(1);
    is($nb, 2, 'enable_read: the installed handler is called');

    $wt->disable_read;
    $wt->on_read(sub ($l, $fh, $wt) { $nc++ });
    is($wt->read_enabled, 0, 'handler installed after disable_read: still disabled');
    $loop->run_once(0.05);
    is($nc, 0, '... nothing dispatched');
    $wt->enable_read;
    $loop->run_once(1);
    is($nc, 1, 'enable_read: new handler called');

    # A watcher created without a read handler: installing one does not enable read.
    my ($r2, $w2) = new_pipe();
    syswrite($w2, 'y');
    my $d = 0;
    my $wt2 = $loop->watch($r2, data => 1);
    is($wt2->read_enabled, 0, 'no read handler: read disabled');
    $wt2->on_read(sub ($l, $fh, $wt) { $d++ });
    is($wt2->read_enabled, 0, 'on_read on a never-enabled direction does not enable it');
    $loop->run_once(0.05);
    is($d, 0, '... nothing dispatched');
    $wt2->enable_read;
    $loop->run_once(1);
    is($d, 1, 'enable_read: dispatched');

    # write
    my ($r3, $w3) = new_pipe();
    my ($e, $f) = (0, 0);
    my $wt3 = $loop->watch($w3, write => sub ($l, $fh, $wt) { $e++ });
    same_ref($wt3->on_write(sub ($l, $fh, $wt) { $f++ }), $wt3, 'on_write($cb) returns the watcher');
    is($wt3->write_enabled, 1, 'replacing the write handler keeps write enabled');
    $loop->run_once(1);
    is("$e/$f", '0/1', 'the new write handler is called');
    same_ref($wt3->on_write(undef), $wt3, 'on_write(undef) returns the watcher');
    is($wt3->write_enabled, 0, 'on_write(undef) disables write');
    $loop->run_once(0.05);
    is($f, 1, 'no write dispatch after on_write(undef)');
    $wt3->on_write(sub ($l, $fh, $wt) { $f++ });
    is($wt3->write_enabled, 0, 'installing a write handler does not re-enable write');
    $loop->run_once(0.05);
    is($f, 1, '... nothing dispatched');
    $wt3->enable_write;
    $loop->run_once(1);
    is($f, 2, 'enable_write: dispatched');

    # error
    my $wt4 = $loop->watch($r3, error => sub ($l, $fh, $wt) { });
    is($wt4->error_enabled, 1, 'error handler given: error enabled');
    same_ref($wt4->on_error(sub ($l, $fh, $wt) { }), $wt4, 'on_error($cb) returns the watcher');
    is($wt4->error_enabled, 1, 'replacing the error handler keeps error enabled');
    same_ref($wt4->on_error(undef), $wt4, 'on_error(undef) returns the watcher');
    is($wt4->error_enabled, 0, 'on_error(undef) disables error');
    $wt4->on_error(sub ($l, $fh, $wt) { });
    is($wt4->error_enabled, 0, 'installing an error handler does not re-enable error');
    $wt4->enable_error;
    is($wt4->error_enabled, 1, 'enable_error');
    $wt4->disable_error;
    $wt4->on_error(sub ($l, $fh, $wt) { });
    is($wt4->error_enabled, 0, 'handler installed after disable_error: still disabled');
};

subtest 'edge_triggered getter/setter, applied at once' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w) = new_socketpair();    # sockets wake epoll on every write
    my $wt0 = $loop->watch($r, read => sub ($l, $fh, $wt) { }, edge_triggered => 1, oneshot => 1);
    is($wt0->edge_triggered, 1, 'edge_triggered => 1 given to watch');
    is($wt0->oneshot, 1, 'oneshot => 1 given to watch');
    $loop->unwatch($r);

    my $n  = 0;
    my $wt = $loop->watch($r, read => sub ($l, $fh, $wt) { $n++ });
    syswrite($w, 'a');
    $loop->run_once(1) for 1 .. 3;
    is($n, 3, 'level-triggered: fires each cycle while unread');

    $wt->edge_triggered(1);
    is($wt->edge_triggered, 1, 'edge_triggered(1) sets');
    $n = 0;
    $loop->run_once(0.05) for 1 .. 3;
    cmp_ok($n, '<=', 1, 'edge-triggered: at most one callback without new data');
    $n = 0;
    syswrite($w, 'b');
    $loop->run_once(1);
    $loop->run_once(0.05) for 1 .. 2;
    is($n, 1, 'edge-triggered: exactly one callback per new data');

    $wt->edge_triggered(0);
    is($wt->edge_triggered, 0, 'edge_triggered(0) sets');
    $n = 0;
    $loop->run_once(1) for 1 .. 3;
    is($n, 3, 'back to level-triggered at once');

    $wt->edge_triggered('yes');
    is($wt->edge_triggered, 1, 'a true value gives 1');
    $wt->edge_triggered('');
    is($wt->edge_triggered, 0, 'a false value gives 0');
};

subtest 'oneshot getter/setter, applied at once' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    my $n  = 0;
    my $wt = $loop->watch($r, read => sub ($l, $fh, $wt) { $n++ });
    syswrite($w, 'a');
    $wt->oneshot(1);
    is($wt->oneshot, 1, 'oneshot(1) sets');
    $loop->run_once(1);
    $loop->run_once(0.05) for 1 .. 3;
    is($n, 1, 'oneshot: one callback, then disarmed');
    is($wt->is_active, 1, 'still active after the oneshot delivery');
    $wt->oneshot(0);
    is($wt->oneshot, 0, 'oneshot(0) sets');
    $n = 0;
    $loop->run_once(1) for 1 .. 3;
    is($n, 3, 'oneshot(0) applied at once: level-triggered again');
};

subtest 'is_active and cancel' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    my $n  = 0;
    my $wt = $loop->watch($r, read => sub ($l, $fh, $wt) { $n++ });
    is($wt->is_active, 1, 'active after watch');
    my $c1 = $wt->cancel;
    ok($c1, 'first cancel is true');
    is($c1, 1, '... and is 1');
    is($wt->is_active, 0, 'inactive after cancel');
    ok(!$wt->cancel, 'second cancel is false');
    ok(!$wt->cancel, 'third cancel is false');
    syswrite($w, 'x');
    $loop->run_once(0.05);
    is($n, 0, 'cancelled watcher does not fire');
    ok(!$loop->unwatch($r), 'unwatch after cancel: nothing to remove');
    pipe_works($r, $w, 'after cancel');

    my $m   = 0;
    my $wt2 = $loop->watch($r, read => sub ($l, $fh, $wt) { $m++ });
    syswrite($w, 'again');
    $loop->run_once(1);
    is($m, 1, 'the handle can be watched again after cancel');
    ok(!$wt->cancel, 'cancel of the old cancelled watcher is still false');
    is($wt2->is_active, 1, '... and did not touch the new watcher');
};

subtest 'fh, fd, data and loop stay readable on an inactive watcher' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    my $fd   = fileno($r);
    my $data = { k => 'v' };
    my $wt = $loop->watch($r, read => sub ($l, $fh, $wt) { }, data => $data);
    ok($wt->cancel, 'cancelled');
    same_ref($wt->fh, $r, 'after cancel: fh is the handle');
    is($wt->fd, $fd, '... fd its descriptor');
    same_ref($wt->data, $data, '... data the value given to watch');
    same_ref($wt->loop, $loop, '... loop the loop');
    $wt->data('later');
    is($wt->data, 'later', '... and data can still be set');

    my $old = $loop->watch($r, read => sub ($l, $fh, $wt) { }, data => 'old');
    my $new = $loop->watch($r, read => sub ($l, $fh, $wt) { }, data => 'new');
    is($old->is_active, 0, 'a replaced watcher is inactive');
    same_ref($old->fh, $r, '... its fh is the handle');
    is($old->data, 'old', '... it keeps its own data');
    is($new->data, 'new', '... and its replacement has its own');

    undef $r;
    is($new->fh, undef, 'the handle dropped: fh is undef (the watcher did not keep it)');
    is($new->fd, $fd, '... fd is still the number it had');
    is($new->data, 'new', '... data is still there');
    is($new->is_active, 0, '... and the watcher is inactive');

    my ($r2, $w2) = new_pipe();
    my $wt2 = $loop->watch($r2, read => sub ($l, $fh, $wt) { }, data => 'two');
    undef $loop;
    is($wt2->loop, undef, 'the loop gone: loop is undef');
    same_ref($wt2->fh, $r2, '... fh is still the handle');
    is($wt2->data, 'two', '... data is still there');
    is($wt2->is_active, 0, '... the watcher is inactive');
    ok(!$wt2->cancel, '... and cancel is false');
};

subtest 'a watcher lets go of its data when replaced and when freed' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    my $freed = 0;
    my $wt = $loop->watch($r, read => sub ($l, $fh, $wt) { }, data => Counted->new(\$freed));
    $wt->data(Counted->new(\$freed));
    is($freed, 1, 'data($new) freed the old value');
    $wt->cancel;
    is($freed, 1, 'cancel keeps the data (the object still has it)');
    undef $wt;
    is($freed, 2, 'freeing the watcher object freed its data');
    $loop->watch($r, read => sub ($l, $fh, $wt) { }, data => Counted->new(\$freed));
    is($freed, 2, 'the loop keeps a watcher whose object was discarded, with its data');
    ok($loop->unwatch($r), 'unwatch');
    is($freed, 3, '... then its data is freed');
};

package Counted { sub new ($c, $n) { bless { n => $n }, $c } sub DESTROY ($s) { ${ $s->{n} }++ } }

subtest 'unwatch' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    my $u0 = eval { $loop->unwatch($r) };
    is($@, '', 'unwatch of a never-watched handle does not croak');
    ok(!$u0, '... and returns false');
    my $n  = 0;
    my $wt = $loop->watch($r, read => sub ($l, $fh, $wt) { $n++ });
    my $u1 = $loop->unwatch($r);
    ok($u1, 'unwatch of a watched handle is true');
    is($u1, 1, '... and is 1');
    is($wt->is_active, 0, 'the watcher is inactive');
    ok(!$loop->unwatch($r), 'second unwatch is false');
    ok(!$loop->unwatch($r), 'third unwatch is false');
    ok(!$wt->cancel, 'cancel after unwatch is false');
    syswrite($w, 'x');
    $loop->run_once(0.05);
    is($n, 0, 'unwatched handle does not fire');
    pipe_works($r, $w, 'after unwatch');
};

subtest 'replacement per fd' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    my @log;
    my $w1 = $loop->watch($r, read => sub ($l, $fh, $wt) { push @log, 'old' }, data => 'one');
    my $w2 = $loop->watch($r, read => sub ($l, $fh, $wt) { push @log, 'new' }, data => 'two');
    ok(refaddr($w1) != refaddr($w2), 'a new watcher object');
    is($w1->is_active, 0, 'old watcher inactive');
    is($w2->is_active, 1, 'new watcher active');
    is($w2->data, 'two', 'new watcher has its own data');
    syswrite($w, 'x');
    $loop->run_once(1);
    $loop->run_once(1);
    is_deeply(\@log, [qw(new new)], 'only the new watcher fires');

    # Poking the old watcher must not affect the new one nor revive the old.
    @log = ();
    eval { $w1->disable_read };
    $loop->run_once(1);
    is_deeply(\@log, ['new'], 'disable_read on the old watcher does not affect the new one');
    @log = ();
    eval { $w1->enable_read };
    eval { $w1->oneshot(1) };
    $loop->run_once(1);
    $loop->run_once(1);
    is_deeply(\@log, [qw(new new)], 'enable_read/oneshot on the old watcher: old never fires, new unaffected');
    @log = ();
    eval { $w1->cancel };
    is($w2->is_active, 1, 'cancel of the replaced watcher does not remove the new one');
    $loop->run_once(1);
    is_deeply(\@log, ['new'], '... which still fires');
    is($w1->is_active, 0, 'old watcher still inactive');

    ok($loop->unwatch($r), 'unwatch removes the new watcher');
    is($w2->is_active, 0, 'new watcher inactive after unwatch');
    @log = ();
    $loop->run_once(0.05);
    is_deeply(\@log, [], 'nothing fires after unwatch');

    # Replacement with different directions.
    my ($x, $y) = new_socketpair();
    my @l2;
    my $a1 = $loop->watch($x, read => sub ($l, $fh, $wt) { push @l2, 'old-read' });
    my $a2 = $loop->watch($x, write => sub ($l, $fh, $wt) { push @l2, 'new-write'; $wt->disable_write });
    is($a2->read_enabled . $a2->write_enabled, '01', 'replacement has only its own directions');
    syswrite($y, 'data');
    $loop->run_once(1);
    $loop->run_once(0.05);
    is_deeply(\@l2, ['new-write'], 'old read handler gone after replacement');
};

subtest 'glob, globref and IO::Handle objects' => sub {
    my $loop = Linux::Event->new;
    no strict 'refs';
    pipe(RD, WR) or die "pipe: $!";
    WR->autoflush(1);
    my @got;
    my $wt = $loop->watch(\*RD, read => sub ($l, $fh, $wt) { sysread($fh, my $buf, 100); push @got, $buf });
    syswrite(WR, 'glob-ref');
    $loop->run_once(1);
    is_deeply(\@got, ['glob-ref'], 'a glob reference works');
    is($wt->fd, fileno(RD), 'fd of the glob');
    ok($loop->unwatch(\*RD), 'unwatch of the glob reference');

    @got = ();
    my $wt2 = $loop->watch(*RD, read => sub ($l, $fh, $wt) { sysread($fh, my $buf, 100); push @got, $buf });
    syswrite(WR, 'glob');
    $loop->run_once(1);
    is_deeply(\@got, ['glob'], 'a bare glob works');
    ok($loop->unwatch(*RD), 'unwatch of the bare glob');

    my $ih = IO::Handle->new;
    my $oh = IO::Handle->new;
    pipe($ih, $oh) or die "pipe: $!";
    $oh->autoflush(1);
    @got = ();
    my $wt3 = $loop->watch($ih, read => sub ($l, $fh, $wt) { sysread($fh, my $buf, 100); push @got, [$fh, $buf] });
    syswrite($oh, 'object');
    $loop->run_once(1);
    is(scalar(@got), 1, 'an IO::Handle object works');
    same_ref($got[0][0], $ih, '... and is passed back as itself');
    is($got[0][1], 'object', '... with its data');
    same_ref($wt3->fh, $ih, 'fh() is the IO::Handle object');
    close(RD);
    close(WR);
};

subtest 'watch croaks' => sub {
    my $loop = Linux::Event->new;
    my ($r, $w) = new_pipe();
    my $cb = sub ($l, $fh, $wt) { };

    my $e = croaks(sub { $loop->watch($r, reed => $cb) }, qr/unknown/i, 'unknown spec key');
    like($e, qr/reed/, '... names the key');
    $e = croaks(sub { $loop->watch($r, read => $cb, foo => 1, bar => 2) }, qr/unknown/i, 'two unknown keys');
    like($e, qr/foo/, '... names foo');
    like($e, qr/bar/, '... names bar');
    ok(!$loop->unwatch($r), 'a croaking watch left nothing registered');

    croaks(sub { $loop->watch($r, read => 'main::x') }, qr/read|code|callback/i, 'read is a string');
    croaks(sub { $loop->watch($r, write => {}) }, qr/write|code|callback/i, 'write is a HASH');
    croaks(sub { $loop->watch($r, error => []) }, qr/error|code|callback/i, 'error is an ARRAY');
    ok(!$loop->unwatch($r), 'still nothing registered');

    my $nofd = qr/file ?descriptor|fileno|\bfd\b|handle/i;
    croaks(sub { $loop->watch(IO::Handle->new, read => $cb) }, $nofd, 'IO::Handle without fd');
    my ($cr, $cw) = new_pipe();
    close($cr);
    croaks(sub { $loop->watch($cr, read => $cb) }, $nofd, 'closed handle');
    open(my $mem, '<', \"in memory") or die;
    croaks(sub { $loop->watch($mem, read => $cb) }, $nofd, 'in-memory handle');
    croaks(sub { $loop->watch(undef, read => $cb) }, $nofd, 'undef handle');

    open(my $file, '<', __FILE__) or die "open: $!";
    croaks(sub { $loop->watch($file, read => $cb) }, qr/regular file|epoll|not (?:be )?(?:supported|pollable)|permitted/i, 'regular file');
    ok(!$loop->unwatch($file), 'regular file was not registered');
    ok(defined(fileno $file), 'regular file handle still open');

    my $n  = 0;
    my $wt = $loop->watch($r, read => sub ($l, $fh, $wt) { $n++ });
    syswrite($w, 'x');
    $loop->run_once(1);
    is($n, 1, 'loop works after the croaks');
};

done_testing;
