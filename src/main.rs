fn main() {
    println!("kasda");
}
