use v5.36;
use Test::More;
use Scalar::Util qw(refaddr);

# Watchdog: a hang is a failure, never a pass.
BEGIN { alarm 60 }

use Linux::Event;

my $FILE = __FILE__;

# ---------------------------------------------------------------------------
# All ten packages are loaded by `use Linux::Event;` alone, all at 0.009
# (the API is 0.007's, which 0.008 and 0.009 kept).
# ---------------------------------------------------------------------------
my @packages = qw(
    Linux::Event
    Linux::Event::Loop
    Linux::Event::Watcher
    Linux::Event::Wakeup
    Linux::Event::Signal
    Linux::Event::Signal::Subscription
    Linux::Event::Pid
    Linux::Event::Pid::Subscription
    Linux::Event::Loop::Clock
    Linux::Event::Adaptor
);

for my $pkg (@packages) {
    (my $file = "$pkg.pm") =~ s{::}{/}g;
    ok exists $INC{$file}, "$pkg loaded by 'use Linux::Event' ($file in %INC)";
    my $v = do { no strict 'refs'; ${"${pkg}::VERSION"} };
    ok defined $v, "$pkg has a \$VERSION";
    is $v, '0.009', "$pkg \$VERSION eq '0.009'";
    is $pkg->VERSION, '0.009', "$pkg->VERSION eq '0.009'";
}

# No module outside Perl's core is needed at run time.
{
    require Module::CoreList;
    my @noncore;
    for my $file (sort keys %INC) {
        next unless $file =~ /\.pm\z/;
        next if $file =~ m{\ALinux/Event(?:\.pm|/)};
        (my $mod = $file) =~ s{/}{::}g;
        $mod =~ s/\.pm\z//;
        push @noncore, $mod unless defined Module::CoreList::first_release($mod);
    }
    is_deeply \@noncore, [], 'only core modules are loaded besides Linux::Event::*'
        or diag "non-core: @noncore";
}

# ---------------------------------------------------------------------------
# Constructors
# ---------------------------------------------------------------------------
{
    my $loop = Linux::Event->new;
    isa_ok $loop, 'Linux::Event::Loop', 'Linux::Event->new';
    is ref($loop), 'Linux::Event::Loop', 'Linux::Event->new returns exactly a Linux::Event::Loop';
}
{
    my $loop = Linux::Event->new(backend => 'epoll');
    isa_ok $loop, 'Linux::Event::Loop', "Linux::Event->new(backend => 'epoll')";
}
{
    my $loop = Linux::Event::Loop->new(backend => 'epoll');
    isa_ok $loop, 'Linux::Event::Loop', "Linux::Event::Loop->new(backend => 'epoll')";
    my $loop2 = Linux::Event::Loop->new;
    isa_ok $loop2, 'Linux::Event::Loop', 'Linux::Event::Loop->new (default backend)';
    isnt refaddr($loop), refaddr($loop2), 'two loops are two objects';
    eval { $loop->run_once(0) };
    is $@, '', 'a fresh loop can be polled with run_once(0)';
}

# Helper: the croak must name the problem and come from the caller's line.
sub croaks_here ($err, $re, $line, $name) {
    like $err, $re, "$name: message";
    like $err, qr/ at \Q$FILE\E line $line\.?\n?\z/, "$name: reported at the caller's line ($line)";
}

# Unknown backend
{
    my $ok = eval { Linux::Event::Loop->new(backend => 'x'); 1 }; my $line = __LINE__;
    ok !$ok, "unknown backend croaks";
    croaks_here $@, qr/unknown backend 'x'/, $line, 'Loop->new(backend => x)';
}
{
    my $ok = eval { Linux::Event->new(backend => 'kqueue'); 1 }; my $line = __LINE__;
    ok !$ok, "unknown backend croaks via Linux::Event->new";
    croaks_here $@, qr/unknown backend 'kqueue'/, $line, 'Linux::Event->new(backend => kqueue)';
}

# Unknown args, listed (sorted)
{
    my $ok = eval { Linux::Event::Loop->new(b => 1, a => 2); 1 }; my $line = __LINE__;
    ok !$ok, 'unknown args croak';
    croaks_here $@, qr/unknown args: a, b\b/, $line, 'Loop->new(b => 1, a => 2)';
}
{
    my $ok = eval { Linux::Event->new(backend => 'epoll', zork => 1); 1 }; my $line = __LINE__;
    ok !$ok, 'unknown arg next to a valid one croaks';
    croaks_here $@, qr/unknown args: zork\b/, $line, 'Linux::Event->new(backend => epoll, zork => 1)';
}

# Odd number of arguments
{
    my $ok = eval { Linux::Event::Loop->new('backend'); 1 }; my $line = __LINE__;
    ok !$ok, 'odd number of args croaks';
    like $@, qr/ at \Q$FILE\E line $line\.?\n?\z/, 'odd args: reported at the caller\'s line';
}

# Injected clock / timer / backend objects are not supported.
{
    package My::Fake; sub new { bless {}, shift } sub now { 0 }
}
for my $case (
    [clock   => My::Fake->new],
    [timer   => My::Fake->new],
    [backend => My::Fake->new],
    [clock   => sub { 0 }],
) {
    my ($key, $val) = @$case;
    my $ok = eval { Linux::Event::Loop->new($key => $val); 1 }; my $line = __LINE__;
    ok !$ok, "$key => " . ref($val) . " croaks";
    croaks_here $@, qr/not supported/, $line, "Loop->new($key => " . ref($val) . ")";
    like $@, qr/\Q$key\E/, "$key: the message names the option";
}
{
    my $ok = eval { Linux::Event->new(timer => My::Fake->new); 1 }; my $line = __LINE__;
    ok !$ok, 'Linux::Event->new(timer => obj) croaks';
    croaks_here $@, qr/not supported/, $line, 'Linux::Event->new(timer => obj)';
}

# Every module the distribution ships, the backends for other frameworks
# too (read, not loaded: their frameworks may be missing), carries the
# distribution's version.
{
    require File::Find;
    my @pm;
    File::Find::find({ no_chdir => 1, wanted => sub {
        push @pm, $_ if /\.pm\z/ && !m{/auto/} } }, 'lib');
    ok @pm >= 14, 'lib/ holds the modules (' . scalar(@pm) . ')';
    for my $file (sort @pm) {
        open my $in, '<', $file or die "$file: $!";
        my ($v) = map { /^our \$VERSION = '([^']+)';/ ? $1 : () } <$in>;
        is $v, '0.009', "$file declares \$VERSION '0.009'";
    }
}

done_testing;
