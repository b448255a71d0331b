#!/usr/bin/env perl
# AnyEvent on Linux::Event: bad arguments croak from the caller's line; a
# callback that dies is handled as on AnyEvent's EV model; a forked child
# that touches the parent's AnyEvent loop gets the loop's croak.
use v5.36;
use Test::More;
use File::Temp ();
use POSIX ();

BEGIN {
    plan skip_all => 'AnyEvent is not installed' unless eval { require AnyEvent; 1 };
    alarm 60;
}

use Linux::Event;
use AnyEvent;

is AnyEvent::detect(), 'AnyEvent::Impl::LinuxEvent', 'the model in use';

my $FILE = __FILE__;

# ---- bad arguments ------------------------------------------------------------------

sub croaks_here ($code, $re, $name) {
    my $line = (caller)[2];
    eval { $code->(); 1 } and return fail("$name: did not croak");
    like $@, $re, "$name: message";
    # the statement inside the sub {} (which starts on the line before the
    # end of the call, where caller() puts it)
    my ($at) = $@ =~ / at \Q$FILE\E line (\d+)\.?\n\z/;
    ok defined $at && ($at == $line || $at == $line - 1), "$name: from the caller's line"
        or diag $@;
}

pipe(my $r, my $w) or die;
my $cb = sub { };

croaks_here sub { my $x = AE::timer 1, 0, 'not code' },
    qr/^AnyEvent->timer called with illegal cb argument 'not code'/, 'AE::timer, cb a string';
croaks_here sub { my $x = AnyEvent->timer(after => 1) },
    qr/^AnyEvent->timer called with illegal cb argument 'undef'/, 'AnyEvent->timer without cb';
croaks_here sub { my $x = AnyEvent->timer(cb => $cb) },
    qr/^AnyEvent->timer called without mandatory 'after' parameter/, 'AnyEvent->timer without after';
croaks_here sub { my $x = AE::timer 1, -1, $cb },
    qr/^AnyEvent->timer called with illegal interval argument '-1'/, 'AE::timer, negative interval';
croaks_here sub { my $x = AE::timer 'soon', 0, $cb },
    qr/^AnyEvent->timer: .*after: delay must be a number/, 'AE::timer, after not a number';
croaks_here sub { my $x = AE::io undef, 0, $cb },
    qr/^AnyEvent->io called with illegal fh argument 'undef'/, 'AE::io, undef handle';
croaks_here sub { my $x = AE::io 'STDIN', 0, $cb },
    qr/^AnyEvent->io called with illegal fh argument 'STDIN'/, 'AE::io, a string as handle';
{
    open my $closed, '<', $0 or die;
    close $closed;
    croaks_here sub { my $x = AE::io $closed, 0, $cb },
        qr/^AnyEvent->io called with illegal fh argument .*no open file descriptor/, 'AE::io, closed handle';
}
{
    open my $file, '<', $0 or die;
    croaks_here sub { my $x = AE::io $file, 0, $cb },
        qr/^AnyEvent->io: .*cannot be watched/, 'AE::io, a regular file (epoll refuses it)';
}
croaks_here sub { my $x = AE::io $r, 0, {} },
    qr/^AnyEvent->io called with illegal cb argument/, 'AE::io, cb a hash';
croaks_here sub { my $x = AnyEvent->io(fh => $r, poll => 'x', cb => $cb) },
    qr/^AnyEvent->io called with illegal poll argument 'x'/, 'AnyEvent->io, bad poll';
croaks_here sub { my $x = AE::signal 'NOSUCH', $cb },
    qr/^AnyEvent->signal called with illegal signal name 'NOSUCH'/, 'AE::signal, unknown name';
croaks_here sub { my $x = AE::signal 'KILL', $cb },
    qr/^AnyEvent->signal: .*cannot handle signal/, 'AE::signal KILL';
croaks_here sub { my $x = AE::child 'abc', $cb },
    qr/^AnyEvent->child called with malformed pid value 'abc'/, 'AE::child, pid not a number';
croaks_here sub { my $x = AE::child -5, $cb },
    qr/^AnyEvent->child called with malformed pid value '-5'/, 'AE::child, negative pid';
croaks_here sub { my $x = AE::idle undef },
    qr/^AnyEvent->idle called with illegal cb argument 'undef'/, 'AE::idle without cb';

{
    # After a line was read from a handle, a croak of the loop still comes
    # out with one location, the caller's ("<$fh> line N" is not left in).
    open(my $fh, '<', $FILE) or die "open: $!";
    my $first = <$fh>;
    eval { my $x = AE::timer 9**9**9, 0, $cb }; my $line = __LINE__;
    is $@, "AnyEvent->timer: after: delay must be a finite number of seconds at $FILE line $line.\n",
        'AE::timer, infinite after, once a handle was read';
    close $fh;
}

{
    # the loop is still usable after all of that
    my $cv = AE::cv;
    my $io = AE::io $r, 0, sub { sysread $r, my $b, 1; $cv->send($b) };
    syswrite $w, 'k';
    is $cv->recv, 'k', 'after the croaks, watchers work';
}

# ---- a callback that dies --------------------------------------------------------------

my $died_script = <<'EOS';
use v5.36;
use AnyEvent;
$SIG{__WARN__} = sub { print "warn: $_[0]" };
my $cv = AE::cv;
my $t1 = AE::timer 0, 0, sub { die "boom\n" };
my $t2 = AE::timer 0.05, 0, sub { $cv->send('later') };
my $r = eval { $cv->recv };
print 'recv: ', $r // 'undef', "\n";
print 'error: ', $@ || "none\n";
my $cv2 = AE::cv;
my $t3 = AE::timer 0, 0, sub { $cv2->send('again') };
print 'next: ', $cv2->recv, "\n";
EOS

sub run_script ($code, %env) {
    my $tmp = File::Temp->new(SUFFIX => '.pl');
    print {$tmp} $code;
    close $tmp;
    local @ENV{ keys %env } = values %env;
    return scalar `$^X -Ilib $tmp 2>&1`;
}

{
    my $ours = run_script($died_script, PERL_ANYEVENT_MODEL => 'LinuxEvent');
    is $ours, "warn: AnyEvent::Impl::LinuxEvent: error in callback (ignoring): boom\n"
        . "recv: later\nerror: none\nnext: again\n",
        'a dying callback: warned, ignored, the wait goes on (as on the EV model)';
  SKIP: {
        skip 'EV is not installed', 1 unless eval { require EV; 1 };
        my $ev = run_script($died_script, PERL_ANYEVENT_MODEL => 'EV');
        (my $norm = $ours) =~ s/AnyEvent::Impl::LinuxEvent:/EV:/;
        is $ev, $norm, 'the same script on AnyEvent::Impl::EV behaves the same';
    }

    my $rethrow = $died_script =~ s/^my \$cv = AE::cv;/no warnings "once"; \$AnyEvent::Impl::LinuxEvent::DIED = sub (\$e) { die \$e };\nmy \$cv = AE::cv;/mr;
    is run_script($rethrow, PERL_ANYEVENT_MODEL => 'LinuxEvent'),
        "recv: undef\nerror: boom\nnext: again\n",
        'with $DIED rethrowing, the error propagates out of recv, and the next wait works';
}

# ---- fork ---------------------------------------------------------------------------------

{
    my $keep = AE::timer 30, 0, sub { };       # guards the child inherits
    my $io   = AE::io $r, 0, sub { };
    my $sig  = AE::signal USR2 => sub { };
    pipe(my $res_r, my $res_w) or die;
    my $errtmp = File::Temp->new;
    my $errfile = $errtmp->filename;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $res_r;
        open STDERR, '>', $errfile or die;
        my @warn;
        $SIG{__WARN__} = sub { push @warn, $_[0] };
        my $line = __LINE__ + 1;
        my $ok = eval { my $t = AE::timer 0, 0, sub { }; 1 };
        my $err = $@;
        my $cv_ok = eval { my $cv = AE::cv; $cv->send; $cv->recv; 1 };
        my $wait_line = __LINE__ + 1;
        my $waited = eval { my $cv = AE::cv; $cv->recv; 1 } ? 'returned' : $@;
        undef $keep; undef $io; undef $sig;    # the parent's guards: silently left alone
        print {$res_w} join "\x{1}", ($ok ? 'created' : $err), $line, $waited, $wait_line, scalar(@warn), @warn;
        close $res_w;
        exit 0;                               # global destruction too
    }
    close $res_w;
    my ($err, $line, $waited, $wait_line, $nwarn, @warn) = split /\x{1}/, do { local $/; <$res_r> };
    waitpid $pid, 0;
    like $err, qr/^AnyEvent->timer: .*belongs to the parent process/, "a forked child's AE::timer croaks with the loop's message";
    like $err, qr/ at \Q$FILE\E line $line\.?\n\z/, '... from the caller\'s line';
    like $waited, qr/^AnyEvent->recv: .*belongs to the parent process.* at \Q$FILE\E line $wait_line\.?\n\z/,
        "a forked child's recv croaks with the loop's message from the caller's line (it does not wait forever)";
    is $nwarn, 0, 'dropping the inherited guards in the child warns nothing' or diag @warn;
    is $?, 0, 'the child exited cleanly, with no warning at global destruction either';

    my $cv = AE::cv;
    my $t = AE::timer 0.01, 0, sub { $cv->send('parent ok') };
    is $cv->recv, 'parent ok', 'the parent\'s loop works on after the child';
    ok(AnyEvent->linux_event_loop->unwatch($r), "the parent's loop still watched the fd whose guard the child dropped");
    undef $io;
    is -s $errfile, 0, "nothing on the child's STDERR, global destruction included"
        or diag do { local (@ARGV, $/) = ($errfile); <> };
}

# ---- waiting inside a callback ---------------------------------------------------------------

{
    my $cv = AE::cv;
    my $inner;
    my $t = AE::timer 0, 0, sub { $inner = eval { AnyEvent->_poll; 1 } ? 'returned' : $@; $cv->send };
    $cv->recv;
    like $inner, qr/^AnyEvent->_poll: .*already running/, 'AnyEvent->_poll inside a callback croaks (the loop is running)';
}

# ---- threads -------------------------------------------------------------------------------

SKIP: {
    require Config;
    skip 'this perl has no ithreads', 3 unless $Config::Config{useithreads};
    require threads;
    pipe(my $tr, my $tw) or die;
    my @guards = (AE::timer(30, 0, sub { }), AE::timer(30, 1, sub { }), AE::io($tr, 0, sub { }),
                  AE::signal(USR1 => sub { }), AE::idle(sub { }));
    my @warn;
    local $SIG{__WARN__} = sub { push @warn, @_ };
    my $thr = threads->create(sub { eval { my $t = AE::timer 0, 0, sub { }; 1 } ? 'created' : $@ });
    my $err = $thr->join;
    like $err, qr/^AnyEvent->timer: .*belongs to another thread/, "in another thread, AE::timer croaks with the loop's message";
    is scalar(@warn), 0, "the thread's copies of the guards went without a word" or diag @warn;
    my $cv = AE::cv;
    my $io = AE::io $tr, 0, sub { $cv->send('read') };
    syswrite $tw, 'x';
    is $cv->recv, 'read', "the loop works on after the thread, with the fd the thread's guard copy dropped";
}

done_testing;
