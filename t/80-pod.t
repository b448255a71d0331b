#!/usr/bin/env perl
# Pod::Checker finds no error and no warning in any module under lib/, and
# every module's POD has the sections a CPAN user looks for.
use v5.36;
use Test::More;
use File::Find ();
use Pod::Checker ();

alarm 60;

my @modules;
File::Find::find({ no_chdir => 1, wanted => sub { push @modules, $_ if /\.pm\z/ } }, 'lib');
@modules = sort @modules;
ok(scalar @modules, 'found modules under lib/') or BAIL_OUT('run this test from the top of the checkout');

my @SECTIONS = ('NAME', 'SYNOPSIS', 'DESCRIPTION', 'SEE ALSO', 'AUTHOR', 'LICENSE', 'VERSION');

for my $module (@modules) {
    my $report = '';
    open(my $out, '>', \$report) or die $!;
    my $checker = Pod::Checker->new(-warnings => 2);
    $checker->parse_from_file($module, $out);
    close $out;
    is($checker->num_errors,   0, "$module: POD present, no POD errors") or diag($report);
    is($checker->num_warnings, 0, "$module: no POD warnings")            or diag($report);

    open(my $in, '<', $module) or die "$module: $!";
    my $text = do { local $/; <$in> };
    my %head1 = map { $_ => 1 } $text =~ /^=head1\s+(.+?)\s*$/mg;
    ok($head1{$_}, "$module: has a $_ section") for @SECTIONS;

    my ($version) = $text =~ /^our \$VERSION = '([^']+)';/m;
    ok(defined $version, "$module: declares \$VERSION");
    like($text, qr/^=head1 VERSION\s+.*\bversion \Q$version\E\b/ms,
        "$module: the VERSION section names version $version") if defined $version;
}

# Links to a section of a module of this distribution lead somewhere.
my %heads;
for my $module (@modules) {
    (my $name = $module) =~ s{\Alib/}{};
    $name =~ s{\.pm\z}{};
    $name =~ s{/}{::}g;
    open(my $in, '<', $module) or die "$module: $!";
    my $text = do { local $/; <$in> };
    $heads{$name} = { map { $_ => 1 } $text =~ /^=head\d\s+(.+?)\s*$/mg };
    $heads{$name}{_text} = $text;
}
for my $name (sort keys %heads) {
    for my $link ($heads{$name}{_text} =~ /L<([^<>]+)>/g) {
        my ($target, $section) = $link =~ m{\A(?:[^|]*\|)?([\w:]*)/"?([^"]+?)"?\z} or next;
        $target = $name if $target eq '';
        next unless $heads{$target};
        ok($heads{$target}{$section}, "$name: L<$link> leads to a section of $target");
    }
}

done_testing;
