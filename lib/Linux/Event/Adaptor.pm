package Linux::Event::Adaptor;
use v5.36;

our $VERSION = '0.009';

use Carp ();
use Scalar::Util ();
use Linux::Event ();

our @CARP_NOT = qw(Linux::Event Linux::Event::Loop Linux::Event::Signal Linux::Event::Pid);

sub new {
    my ($class, @args) = @_;
    my $name = ref($class) || $class;
    Carp::croak("$name->new: odd number of arguments (expected loop => \$loop)") if @args % 2;
    my %opt  = @args;
    my $loop = delete $opt{loop};
    Carp::croak("$name->new: loop is required (a Linux::Event::Loop)")
        unless Scalar::Util::blessed($loop) && $loop->isa('Linux::Event::Loop');
    Carp::croak("$name->new: unknown args: " . join(', ', sort keys %opt)) if %opt;
    my $self = bless { loop => $loop }, $name;
    Scalar::Util::weaken($self->{loop});
    return $self;
}

# Croaks unless $self is an object of $class (as a method, the invocant's).
sub _check_self ($self, $class) {
    Carp::croak("not a $class object") unless Scalar::Util::blessed($self) && $self->isa($class);
}

sub loop {
    my ($self) = @_;
    my $class = (ref($self) || $self) // '';
    _check_self($self, UNIVERSAL::isa($class, __PACKAGE__) ? $class : __PACKAGE__);
    Carp::croak('Usage: $adaptor->loop') if @_ != 1;
    return $self->{loop};
}

# The loop of an adaptor of $class, for its $method; croaks once it is gone.
sub _live_loop ($self, $class, $method) {
    _check_self($self, $class);
    return $self->{loop} // Carp::croak("$method: the loop of this $class no longer exists");
}

1;

__END__

=head1 NAME

Linux::Event::Adaptor - what Linux::Event::Signal and Linux::Event::Pid objects share

=head1 SYNOPSIS

  use v5.36;
  use Linux::Event;

  my $loop    = Linux::Event->new;
  my $signals = Linux::Event::Signal->new(loop => $loop);   # an adaptor
  say 'bound to its loop' if $signals->loop == $loop;

=head1 DESCRIPTION

0.007's L<Linux::Event::Signal> and L<Linux::Event::Pid> objects are
"adaptors": objects bound to a loop, whose C<signal> or C<pid> method is the
loop's own.  This class holds what they share; it is not used on its own.

=head1 METHODS

=head2 new

  my $adaptor = Linux::Event::Signal->new(loop => $loop);

Returns an adaptor of the invocant's class for C<$loop>, keeping only a
weak reference to the loop.  Croaks on an odd number of arguments, a missing
C<loop> or one that is not a L<Linux::Event::Loop>
(C<loop is required>), and unknown arguments (C<unknown args: x>).

=head2 loop

  my $loop = $adaptor->loop;

The loop (undef once it is gone).  No arguments.

=head1 SEE ALSO

L<Linux::Event::Signal>, L<Linux::Event::Pid>, L<Linux::Event::Loop>

=head1 AUTHOR

The Linux::Event developers.

=head1 LICENSE

Same terms as Perl itself.

=head1 VERSION

This document describes Linux::Event::Adaptor version 0.009.

=cut
