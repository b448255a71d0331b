#!perl
# How a callback is called, as a Perl sub would notice it: in void context,
# with its arguments in @_, its temporaries freed as soon as it returns,
# `local` undone, `caller` and `eval` working inside it, an XSUB accepted
# as a callback, the Perl stack left as it was (many thousands of calls in
# one run), and the debugger's DB::sub honoured.  The loop calls callbacks
# through its own entersub path (csrc/shim.c, le_enter_void); these are the
# things call_sv did for it before.
use v5.36;
BEGIN { alarm 120 }    # watchdog: a hang fails instead of blocking CI
use Test::More;
use List::Util ();
use Linux::Event;
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(new_socketpair run_until);

my $loop = Linux::Event->new;

# Context, arguments, caller, eval.
{
    my ($x, $y) = new_socketpair();
    my %seen;
    my $w;
    $w = $loop->watch($x, read => sub {
        sysread($_[1], my $buf, 10);
        $seen{want}   = wantarray;
        $seen{args}   = [@_];
        $seen{caller} = (caller(0))[3];
        $seen{eval}   = eval { die "inner\n"; 1 } ? 'no die' : $@;
        $seen{after}  = 'reached';
        $_[2]->cancel;
    });
    syswrite($y, 'x');
    run_until($loop, sub { $seen{after} });
    ok(!defined $seen{want}, 'a callback runs in void context');
    is(scalar @{ $seen{args} }, 3, 'it gets three arguments');
    is($seen{args}[0], $loop, '... the loop');
    is($seen{args}[1], $x, '... the handle');
    is($seen{args}[2], $w, '... the watcher');
    like($seen{caller}, qr/__ANON__/, 'caller(0) names the callback');
    is($seen{eval}, "inner\n", 'an eval inside a callback catches its own die');
    is($seen{after}, 'reached', '... and the callback goes on after it');
}

# Temporaries are freed when the callback returns, before the next one runs;
# local is undone.
{
    package Canary { sub new ($c, $log) { bless { log => $log }, $c } sub DESTROY ($s) { push $s->{log}->@*, 'freed' } }
    our $global = 'outer';
    my @log;
    my $n = 0;
    $loop->after(0, sub { local $global = 'inner'; push @log, "first $global"; Canary->new(\@log) });
    $loop->after(0, sub { push @log, "second $global"; $n++ });
    run_until($loop, sub { $n });
    is_deeply(\@log, ['first inner', 'freed', 'second outer'],
        "a callback's last value is freed before the next callback, and its local is undone");
}

# An XSUB as a callback; it returns a value in void context, which must not
# stay on the stack: a sub called around the run sees its own arguments.
{
    my $ran = 0;
    my ($x, $y) = new_socketpair();
    $loop->watch($x, read => \&List::Util::max);     # returns a value, reads nothing
    $loop->after(0.01, sub { $ran++ });
    syswrite($y, 'x');
    my $got = sub { my @before = @_; run_until($loop, sub { $ran }); [@before, @_] }->('p', 'q');
    is($ran, 1, 'an XSUB callback runs (level-triggered, many times) and the loop goes on');
    is_deeply($got, ['p', 'q', 'p', 'q'], "the caller's arguments are intact after them");
    $loop->unwatch($x);
}

# Many calls in one run leave the Perl stack and the temporaries as they
# were: a sub called around the run sees its own arguments intact.
{
    my ($x, $y) = new_socketpair();
    my $count = 0;
    my $w = $loop->watch($x, read => sub {
        sysread($_[1], my $buf, 1);
        if (++$count < 20_000) { syswrite($y, 'x') } else { $_[0]->stop }
        return (1, 2, 3);                              # discarded
    });
    my $check = sub { my @before = @_; $loop->run; [@before, @_] };
    syswrite($y, 'x');
    my $got = $check->('a', 'b');
    is($count, 20_000, '20 000 callbacks ran in one run');
    is_deeply($got, ['a', 'b', 'a', 'b'], "the caller's arguments are intact after them");
    $w->cancel;
}

# Under the debugger's DB::sub hook the callback is called through it.
{
    my @via;
    {
        package DB;
        no warnings 'once';
        our $sub;
        sub sub { push @via, $DB::sub if ref $DB::sub eq 'CODE'; no strict 'refs'; &$DB::sub }
    }
    my $cb = sub { 1 };
    my $fired = 0;
    $loop->after(0, sub { $fired++ });
    {
        local $^P = 0x01;                              # PERLDBf_SUB
        $loop->after(0, $cb);
        $loop->run_once(0);
    }
    ok(scalar(grep { $_ == $cb } @via), 'with $^P & 0x01 the callback goes through DB::sub');
}

done_testing;
