#!perl
# The binary checks that it belongs to the modules that load it: the built
# Event.so, put beside a Linux/Event.pm whose $VERSION differs, is refused
# with Perl's usual "object version ... does not match" message; beside one
# with the same $VERSION, it loads.
use v5.36;
use Test::More;
use File::Temp ();
use File::Copy ();
use File::Path ();

use Linux::Event;

my ($so) = grep { m{/Linux/Event/Event\.[^/]+\z} } @DynaLoader::dl_shared_objects;
ok defined $so && -f $so, 'the loaded Event.so is found' or BAIL_OUT('no Event.so');

my $pm = $INC{'Linux/Event.pm'};
my $source = do { open(my $fh, '<', $pm) or die "$pm: $!"; local $/; <$fh> };
my $v = $Linux::Event::VERSION;

# A library tree holding Linux/Event.pm with version $version and the built
# Event.so; returns what `require Linux::Event` says there (and its status).
sub load_with ($version) {
    my $dir = File::Temp::tempdir(CLEANUP => 1);
    File::Path::make_path("$dir/Linux", "$dir/auto/Linux/Event");
    (my $text = $source) =~ s/^our \$VERSION = '\Q$v\E';/our \$VERSION = '$version';/m
        or die "no \$VERSION line in $pm";
    open(my $out, '>', "$dir/Linux/Event.pm") or die "$dir: $!";
    print $out $text;
    close $out or die "write: $!";
    File::Copy::copy($so, "$dir/auto/Linux/Event/") or die "copy $so: $!";
    # Only the modules must come from lib/ (the rest of Linux::Event::*).
    my $lib = $pm =~ s{/Linux/Event\.pm\z}{}r;
    my $out_text = `$^X -I$dir -I$lib -e 'require Linux::Event; print "loaded \$Linux::Event::VERSION\\n"' 2>&1`;
    return ($out_text, $?);
}

my ($text, $status) = load_with($v);
is $status, 0, "the same version ($v) loads" or diag $text;
like $text, qr/^loaded \Q$v\E$/m, '... and reports it';

($text, $status) = load_with('0.999');
isnt $status, 0, 'another version in Linux/Event.pm: loading fails';
like $text, qr/Linux::Event object version \Q$v\E does not match bootstrap parameter 0\.999/,
    "... with Perl's usual message naming both versions";

done_testing;
