#!perl
# A checkout that was never built (no engine under lib/auto) says so on
# `use Linux::Event`, instead of DynaLoader's "Can't locate loadable object".
# A copy of lib/ without lib/auto stands for that checkout; the child perl
# gets no other library path, so no built engine can be found elsewhere.
use v5.36;
use Test::More;
use File::Temp ();
use File::Copy qw(copy);
use File::Find ();
use File::Path qw(make_path);
use Cwd qw(getcwd);
use FindBin;
use lib "$FindBin::Bin/lib";
use LE::Test qw(run_with_timeout);

BEGIN { alarm 60 }

my $top = getcwd();
-f "$top/lib/Linux/Event.pm" or plan skip_all => 'run this test from the top of the distribution';

my $dir = File::Temp->newdir('le-not-built-XXXXXX', TMPDIR => 1);
File::Find::find({ no_chdir => 1, wanted => sub {
    return unless m{^\Q$top\E/lib/(.+\.pm)\z} && $1 !~ m{^auto/};
    my $rel = $1;
    (my $d = "$dir/lib/$rel") =~ s{/[^/]+\z}{};
    make_path($d);
    copy($_, "$dir/lib/$rel") or die "copy $rel: $!";
} }, "$top/lib");
ok -f "$dir/lib/Linux/Event.pm" && !-e "$dir/lib/auto", 'a copy of lib/ without lib/auto';

delete local $ENV{PERL5LIB};
delete local $ENV{PERL5OPT};
delete local $ENV{PERLLIB};

# An engine installed into this perl's own directories would be found by
# DynaLoader's search of @INC; then this cannot be shown here.
my @installed = grep { -e "$_/auto/Linux/Event/Event.so" }
    split /\n/, `'$^X' -e 'print "\$_\\n" for grep { !ref } \@INC'`;
plan skip_all => "an engine is installed in this perl's \@INC (@installed)" if @installed;

for my $how (['-MLinux::Event', '-e', '1'], ['-e', 'require Linux::Event']) {
    my ($status, $timed_out, $out) = run_with_timeout([$^X, "-I$dir/lib", @$how], timeout => 30);
    isnt $status >> 8, 0, "perl -Ilib @$how fails";
    like $out, qr/\ALinux::Event's engine is not built: run `perl Makefile\.PL && make`\n/,
        '... saying the engine is not built and how to build it';
    unlike $out, qr/Can't locate loadable object/, "... not DynaLoader's message";
}

done_testing;
